import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PROJECT_ROOT } from '../../devserver';
import { runCli } from '../support/cli';
import { effects, NOTES_SCRIPT, serveNotesOverHttp } from '../support/mcp-upstream';
import { startStack, type TestStack } from '../support/stack';
import { eq } from 'drizzle-orm';
import { gatewayClaims } from '../../db/schema';
import { paramsHash } from '../../grants';

const POLICY = `version: 1
defaults: {decision: deny, timeout: 1h}
rules:
  - id: notes-read
    when: action == "mcp.notes.read_note" && context.mcp.annotations.readOnlyHint == true
    decision: allow
  - id: remote-read
    when: action == "mcp.remote.read_note"
    decision: allow
  - id: notes-archive
    when: action in ["mcp.notes.enable_archive", "mcp.notes.archive_note"]
    decision: allow
  - id: no-purge
    description: purging every note is never done by an agent
    when: action == "mcp.notes.purge"
    decision: deny
  - id: notes-write
    when: action == "mcp.notes.write_note" || action == "mcp.notes.explode"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 2}
  - id: files-read
    when: action in ["mcp.files.read_text_file", "mcp.files.list_allowed_directories"]
    decision: allow
  - id: files-write
    when: action == "mcp.files.write_file"
    decision: require_approval
    approvers: {groups: [data-owners], quorum: 1}
`;

const BOT = 'svc:etl-bot';
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const actionIdIn = (r: CallToolResult) => text(r).match(/act_[0-9A-Za-z]+/)?.[0];
const notesServer = (effectsFile: string) => `{command: "${process.execPath}", args: ["--import", "tsx", "${NOTES_SCRIPT}", "${effectsFile}"], cwd: "${PROJECT_ROOT}"}`;

/** The SDK's own client as the agent, over Streamable HTTP to `/mcp` on the API, with `as`'s token. */
async function connectHttp(stack: TestStack, as: string, clients: Client[], onBehalfOf = 'erin@example.com'): Promise<Client> {
  const client = new Client({ name: 'test-agent-http', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${stack.tokens[as]}`, 'interlock-on-behalf-of': onBehalfOf } } }));
  clients.push(client);
  return client;
}

/** The same client over stdio, launching `interlock mcp` as an agent host would. */
async function connectStdio(stack: TestStack, as: string, configFile: string, clients: Client[]): Promise<Client> {
  const client = new Client({ name: 'test-agent-stdio', version: '1.0.0' });
  await client.connect(new StdioClientTransport({
    command: process.execPath,
    args: [path.join(PROJECT_ROOT, 'bin/interlock.js'), 'mcp', '--config', configFile],
    env: { PATH: process.env.PATH ?? '', INTERLOCK_URL: stack.url, INTERLOCK_TOKEN: stack.tokens[as], INTERLOCK_ON_BEHALF_OF: 'erin@example.com', MCP_TEST_REMOTE_TOKEN: 'remote-secret-123' },
    cwd: PROJECT_ROOT,
    stderr: 'inherit',
  }));
  clients.push(client);
  return client;
}

/** Resolves on the client's next `notifications/tools/list_changed`; fails the test after `ms`. */
function nextToolListChange(client: Client, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no notifications/tools/list_changed reached the agent')), ms);
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe('the MCP gateway', () => {
  let stack: TestStack;
  let dir: string;
  let notesEffects: string;
  let remoteEffects: string;
  let remote: Awaited<ReturnType<typeof serveNotesOverHttp>>;
  const clients: Client[] = [];

  const upstreams = (hold: string) => `hold: ${hold}
repeat_window: 10m
servers:
  notes: ${notesServer(notesEffects)}
  files: {command: "${process.execPath}", args: ["${path.join(PROJECT_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js')}", "${dir}"]}
  remote: {url: "${remote.url}", headers: {Authorization: "Bearer \${env:MCP_TEST_REMOTE_TOKEN}"}}
`;

  const httpAgent = (onBehalfOf = 'erin@example.com') => connectHttp(stack, BOT, clients, onBehalfOf);
  /** Over stdio with stdio-mcp.yaml's short hold. */
  const stdioAgent = (configFile: string) => connectStdio(stack, BOT, configFile, clients);

  /** The open action the gateway made for a held call, as the bot sees it. */
  async function heldAction(action: string, params: Record<string, unknown>): Promise<any> {
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const list = await stack.call(BOT, 'GET', `/v1/actions?action=${action}&status=pending_approval&limit=50`);
      const found = list.body.items.find((a: any) => JSON.stringify(a.params) === JSON.stringify(params));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no pending ${action} action for ${JSON.stringify(params)}`);
  }

  const approve = async (id: string, as: string) => {
    const res = await stack.call(as, 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve', comment: 'ok' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const mcpCalls = async () => (await stack.call('dave@example.com', 'GET', '/v1/audit?type=mcp.call&limit=1000')).body.items;
  const ran = (tool: string, id?: string) => effects(notesEffects).filter((e) => e.tool === tool && (id === undefined || e.args.id === id)).length;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-mcp-'));
    notesEffects = path.join(dir, 'notes-effects.jsonl');
    remoteEffects = path.join(dir, 'remote-effects.jsonl');
    writeFileSync(path.join(dir, 'hello.txt'), 'hello from the filesystem');
    remote = await serveNotesOverHttp(remoteEffects, 'remote-secret-123');
    process.env.MCP_TEST_REMOTE_TOKEN = 'remote-secret-123'; // the API's gateway resolves ${env:} in its own process
    stack = await startStack({ policy: POLICY });
    writeFileSync(stack.mcpFile, upstreams('30s'));
    writeFileSync(path.join(dir, 'stdio-mcp.yaml'), upstreams('1s'));
    // The API loaded the empty file at start; wait for the hot reload to put the upstreams in force.
    const end = Date.now() + 10_000;
    for (;;) {
      const agent = await httpAgent();
      const { tools } = await agent.listTools();
      await agent.close();
      if (tools.length > 0) break;
      if (Date.now() > end) throw new Error('mcp.yaml was not reloaded');
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  after(async () => {
    for (const c of clients) await c.close().catch(() => {});
    await stack?.stop();
    remote?.server.close();
  });

  test('tools/list shows every upstream tool as <server>__<tool>, with its annotations', async () => {
    const { tools } = await (await httpAgent()).listTools();
    const read = tools.find((t) => t.name === 'notes__read_note');
    assert.deepEqual(read?.annotations, { readOnlyHint: true, title: 'Read a note' });
    assert.ok(tools.some((t) => t.name === 'files__read_text_file'), 'the published filesystem server is listed');
    assert.ok(tools.some((t) => t.name === 'remote__write_note'), 'the Streamable HTTP upstream is listed');
  });

  test('an allowed call passes through at once, without a workflow, and writes one mcp.call event', async () => {
    const agent = await httpAgent();
    const before = ran('read_note', 'n1');
    const result = (await agent.callTool({ name: 'notes__read_note', arguments: { id: 'n1' } })) as CallToolResult;
    assert.equal(result.isError, undefined);
    assert.equal(text(result), 'note n1: hello');
    assert.equal(ran('read_note', 'n1'), before + 1);
    const events = (await mcpCalls()).filter((e: any) => e.data.tool === 'read_note' && e.data.server === 'notes');
    assert.equal(events.length, 1);
    assert.equal(events[0].actor, BOT);
    assert.equal(events[0].actionId, null);
    assert.equal(events[0].data.ruleId, 'notes-read');
    assert.equal(events[0].data.outcome, 'allow');
    assert.equal(events[0].data.isError, false);
    assert.match(events[0].data.argumentsHash, /^sha256:[0-9a-f]{64}$/);
    assert.equal(events[0].data.client, 'test-agent-http');
    const listed = await stack.call(BOT, 'GET', '/v1/actions?action=mcp.notes.read_note');
    assert.equal(listed.body.items.length, 0, 'no action was made for an allowed call');
  });

  test('a denied call is a tool error naming the rule, audited, and never reaches the upstream', async () => {
    const result = (await (await httpAgent()).callTool({ name: 'notes__purge', arguments: {} })) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /no-purge/);
    assert.match(text(result), /never done by an agent/);
    assert.equal(ran('purge'), 0);
    const events = (await mcpCalls()).filter((e: any) => e.data.tool === 'purge');
    assert.equal(events.length, 1);
    assert.equal(events[0].data.outcome, 'deny');
    assert.equal(events[0].data.ruleId, 'no-purge');
    assert.equal(events[0].data.isError, true);
  });

  test('a call needing approval is held with progress, approved by two approvers over the API, and runs once', async () => {
    const agent = await httpAgent();
    const progress: string[] = [];
    const call = agent.callTool({ name: 'notes__write_note', arguments: { id: 'h1', text: 'held' } }, undefined, { onprogress: (p) => void progress.push(p.message ?? ''), timeout: 60_000 });
    const action = await heldAction('mcp.notes.write_note', { id: 'h1', text: 'held' });
    assert.equal(action.requester, BOT);
    assert.equal(action.onBehalfOf, 'erin@example.com');
    assert.equal(action.resource, 'mcp://notes/write_note');
    assert.deepEqual(action.context.mcp, { server: 'notes', tool: 'write_note', annotations: { destructiveHint: true }, client: 'test-agent-http' });
    assert.equal(ran('write_note', 'h1'), 0, 'nothing runs before approval');

    const own = await stack.call(BOT, 'POST', `/v1/actions/${action.id}/decisions`, { decision: 'approve' });
    assert.equal(own.status, 403, 'the agent\'s own token cannot approve');
    const onBehalf = await stack.call('erin@example.com', 'POST', `/v1/actions/${action.id}/decisions`, { decision: 'approve' });
    assert.equal(onBehalf.status, 403, 'nor can the person it acts for');
    await approve(action.id, 'alice@example.com');
    await approve(action.id, 'bob@example.com');

    const result = (await call) as CallToolResult;
    assert.equal(text(result), 'wrote note h1');
    assert.ok(progress.length > 0 && progress.every((m) => m.includes(action.id)), `progress notifications name the action: ${JSON.stringify(progress)}`);
    assert.equal(ran('write_note', 'h1'), 1);
    const done = await stack.until(BOT, action.id, (a) => a.status === 'succeeded');
    assert.equal(done.grant.redeemedAt !== null, true, 'the grant was redeemed before the upstream ran');
    const events = (await stack.call('dave@example.com', 'GET', `/v1/actions/${action.id}/audit`)).body.items;
    const types = events.map((e: any) => e.type);
    for (const t of ['action.submitted', 'approval.decision', 'action.approved', 'grant.issued', 'grant.redeemed', 'execution.succeeded']) assert.ok(types.includes(t), `${t} in ${types}`);
    // The held call claimed the action: the approving vote redeemed the grant for it in the approval's own step
    // (one write, one time), bound to the arguments' hash; the claim's lease is gone once it ran.
    const redeemed = events.find((e: any) => e.type === 'grant.redeemed');
    assert.match(redeemed.data.claim, /^clm_/);
    assert.equal(redeemed.actor, BOT);
    assert.equal(redeemed.data.paramsHash, paramsHash({ id: 'h1', text: 'held' }));
    const approvedAt = events.find((e: any) => e.type === 'action.approved').at;
    assert.equal(redeemed.at, approvedAt, 'redeemed in the step that approved it');
    assert.deepEqual(types.slice(types.indexOf('action.approved')), ['action.approved', 'grant.issued', 'grant.redeemed', 'execution.started', 'execution.succeeded']);
    const claims = await stack.services.database.db.select().from(gatewayClaims).where(eq(gatewayClaims.actionId, action.id));
    assert.deepEqual(claims, [], 'the claim was removed once the call ran');

    const again = (await agent.callTool({ name: 'notes__write_note', arguments: { text: 'held', id: 'h1' } })) as CallToolResult;
    assert.equal(text(again), 'wrote note h1', 'a repeat (keys in another order) returns the kept result');
    assert.equal(ran('write_note', 'h1'), 1, 'and does not run it again');
  });

  test('a held call the agent cancels stops holding at once: its claim is withdrawn, a later approval runs nothing, and the repeat runs it once', async () => {
    const agent = await httpAgent();
    const args = { id: 'aborted', text: 'never mind' };
    const abort = new AbortController();
    const call = agent.callTool({ name: 'notes__write_note', arguments: args }, undefined, { signal: abort.signal, timeout: 60_000 });
    const action = await heldAction('mcp.notes.write_note', args);
    const claimsOf = () => stack.services.database.db.select().from(gatewayClaims).where(eq(gatewayClaims.actionId, action.id));
    const until = async (what: string, ok: () => Promise<boolean>) => {
      for (const end = Date.now() + 10_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await ok()) return;
      assert.fail(what);
    };
    await until('the held call claims the action', async () => (await claimsOf()).length === 1);
    abort.abort();
    await assert.rejects(call);
    // Well before the 30 s hold (or a 10 s slice) would have ended it.
    const cancelledAt = Date.now();
    await until('the claim is withdrawn once the agent cancelled', async () => (await claimsOf()).length === 0);
    assert.ok(Date.now() - cancelledAt < 5_000, 'withdrawn at once, not at the end of the slice');
    await approve(action.id, 'alice@example.com');
    await approve(action.id, 'bob@example.com');
    const approved = await stack.until(BOT, action.id, (a) => a.status === 'approved');
    assert.equal(approved.grant.redeemedAt, null, 'not redeemed for a call nobody waits for');
    assert.equal(ran('write_note', 'aborted'), 0, 'and nothing ran');
    const repeat = (await agent.callTool({ name: 'notes__write_note', arguments: args })) as CallToolResult;
    assert.equal(text(repeat), 'wrote note aborted');
    assert.equal(ran('write_note', 'aborted'), 1);
  });

  test('over stdio: a call held past `hold` answers pending with the action id; the repeat returns the upstream result', async () => {
    const agent = await stdioAgent(path.join(dir, 'stdio-mcp.yaml'));
    const first = (await agent.callTool({ name: 'notes__write_note', arguments: { id: 's1', text: 'later' } })) as CallToolResult;
    assert.notEqual(first.isError, true, 'pending is not an error');
    const id = actionIdIn(first);
    assert.ok(id, text(first));
    assert.match(text(first), /group data-owners/);
    assert.match(text(first), /same arguments/);
    const repeat = (await agent.callTool({ name: 'notes__write_note', arguments: { id: 's1', text: 'later' } })) as CallToolResult;
    assert.equal(actionIdIn(repeat), id, 'a repeat while open maps to the same action');
    const changed = (await agent.callTool({ name: 'notes__write_note', arguments: { id: 's1', text: 'other' } })) as CallToolResult;
    assert.ok(actionIdIn(changed) && actionIdIn(changed) !== id, 'changed arguments are a new action');

    await approve(id!, 'alice@example.com');
    await approve(id!, 'bob@example.com');
    await stack.until(BOT, id!, (a) => a.status === 'approved');
    assert.equal(ran('write_note', 's1'), 0, 'approval alone runs nothing: the gateway runs it when called');
    const outcome = (await agent.callTool({ name: 'notes__write_note', arguments: { id: 's1', text: 'later' } })) as CallToolResult;
    assert.equal(text(outcome), 'wrote note s1');
    const kept = (await agent.callTool({ name: 'notes__write_note', arguments: { id: 's1', text: 'later' } })) as CallToolResult;
    assert.equal(text(kept), 'wrote note s1');
    assert.equal(effects(notesEffects).filter((e) => e.tool === 'write_note' && e.args.text === 'later').length, 1, 'the upstream ran exactly once');
  });

  test('two gateway processes holding the same call: the grant is redeemed once, the upstream runs once, both answer', async () => {
    const viaHttp = (await httpAgent()).callTool({ name: 'notes__write_note', arguments: { id: 'x1', text: 'race' } }, undefined, { timeout: 60_000 });
    const action = await heldAction('mcp.notes.write_note', { id: 'x1', text: 'race' });
    const viaStdio = await stdioAgent(path.join(dir, 'stdio-mcp.yaml'));
    const pendingThere = (await viaStdio.callTool({ name: 'notes__write_note', arguments: { id: 'x1', text: 'race' } })) as CallToolResult;
    assert.equal(actionIdIn(pendingThere), action.id, 'the stdio gateway maps the call to the action the API\'s gateway made');
    await approve(action.id, 'alice@example.com');
    const racing = viaStdio.callTool({ name: 'notes__write_note', arguments: { id: 'x1', text: 'race' } });
    await approve(action.id, 'bob@example.com');
    const [a, b] = (await Promise.all([viaHttp, racing])) as CallToolResult[];
    assert.equal(ran('write_note', 'x1'), 1);
    for (const r of [a, b]) assert.ok(text(r) === 'wrote note x1' || actionIdIn(r) === action.id, text(r));
    const again = (await viaStdio.callTool({ name: 'notes__write_note', arguments: { id: 'x1', text: 'race' } })) as CallToolResult;
    assert.equal(text(again), 'wrote note x1');
    assert.equal(ran('write_note', 'x1'), 1);
  });

  test('an upstream failure is reported to the agent and recorded as execution.failed', async () => {
    const call = (await httpAgent()).callTool({ name: 'notes__explode', arguments: { id: 'f1' } }, undefined, { timeout: 60_000 });
    const action = await heldAction('mcp.notes.explode', { id: 'f1' });
    await approve(action.id, 'alice@example.com');
    await approve(action.id, 'bob@example.com');
    const result = (await call) as CallToolResult;
    assert.equal(result.isError, true);
    assert.match(text(result), /disk is on fire/);
    const failed = await stack.until(BOT, action.id, (a) => a.status === 'failed');
    assert.equal(failed.result.status, 'failed');
    const types = (await stack.call('dave@example.com', 'GET', `/v1/actions/${action.id}/audit`)).body.items.map((e: any) => e.type);
    assert.ok(types.includes('execution.failed'), types.join(','));
  });

  test('the published filesystem server behind the gateway: reads pass, a write waits for approval and then happens', async () => {
    const agent = await stdioAgent(path.join(dir, 'stdio-mcp.yaml'));
    const read = (await agent.callTool({ name: 'files__read_text_file', arguments: { path: path.join(dir, 'hello.txt') } })) as CallToolResult;
    assert.match(text(read), /hello from the filesystem/);
    const target = path.join(dir, 'written.txt');
    const pending = (await agent.callTool({ name: 'files__write_file', arguments: { path: target, content: 'approved content' } })) as CallToolResult;
    const id = actionIdIn(pending);
    assert.ok(id, text(pending));
    assert.equal(existsSync(target), false, 'nothing is written before approval');
    await approve(id!, 'alice@example.com');
    await stack.until(BOT, id!, (a) => a.status === 'approved');
    const done = (await agent.callTool({ name: 'files__write_file', arguments: { path: target, content: 'approved content' } })) as CallToolResult;
    assert.notEqual(done.isError, true, text(done));
    assert.equal(readFileSync(target, 'utf8'), 'approved content');
  });

  test('a Streamable HTTP upstream gets its credential from the gateway\'s environment; the agent never sees it', async () => {
    const agent = await stdioAgent(path.join(dir, 'stdio-mcp.yaml'));
    const result = (await agent.callTool({ name: 'remote__read_note', arguments: { id: 'r1' } })) as CallToolResult;
    assert.equal(text(result), 'note r1: hello');
    assert.ok(remote.seenAuth.includes('Bearer remote-secret-123'));
    const events = (await mcpCalls()).filter((e: any) => e.data.server === 'remote');
    assert.ok(events.length >= 1 && !JSON.stringify(events).includes('remote-secret-123'));
  });

  test('an upstream\'s tools/list_changed reaches every /mcp session, and the new tool is callable at once', async () => {
    const watcher = await httpAgent();
    await watcher.listTools(); // the session and its event stream are up
    const changed = nextToolListChange(watcher);
    const trigger = await httpAgent();
    assert.equal(text((await trigger.callTool({ name: 'notes__enable_archive', arguments: {} })) as CallToolResult), 'archive_note is listed now');
    await changed;
    // Before anyone lists again: the gateway dropped its cached list, so the new tool is known.
    const archived = (await trigger.callTool({ name: 'notes__archive_note', arguments: { id: 'a1' } })) as CallToolResult;
    assert.equal(text(archived), 'archived note a1');
    assert.ok((await watcher.listTools()).tools.some((t) => t.name === 'notes__archive_note'), 'the watcher lists the new tool');
  });

  test('over stdio: an upstream\'s tools/list_changed reaches the agent', async () => {
    const agent = await stdioAgent(path.join(dir, 'stdio-mcp.yaml'));
    assert.ok(!(await agent.listTools()).tools.some((t) => t.name === 'notes__archive_note'), 'this gateway\'s own upstream starts without it');
    const changed = nextToolListChange(agent);
    await agent.callTool({ name: 'notes__enable_archive', arguments: {} });
    await changed;
    const archived = (await agent.callTool({ name: 'notes__archive_note', arguments: { id: 'a2' } })) as CallToolResult;
    assert.equal(text(archived), 'archived note a2');
  });

  test('over stdio: a token Interlock refuses stops the gateway at start, before it lists any tool', async () => {
    const r = await runCli(['mcp', '--config', path.join(dir, 'stdio-mcp.yaml')], { INTERLOCK_URL: stack.url, INTERLOCK_TOKEN: 'itk_not-a-token-anyone-issued' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^interlock: INTERLOCK_TOKEN was refused by Interlock at http:\/\/127\.0\.0\.1:\d+ \(.+\); create a token with `npx interlock token create <principal-id>`$/m);
    assert.doesNotMatch(r.stderr, /not-a-token-anyone-issued/, 'the token itself is never printed');
    assert.equal(r.stdout, '', 'nothing was served on stdout');
  });

  test('a session cannot be used with another principal\'s token, and /mcp needs a token', async () => {
    const anonymous = await fetch(`${stack.url}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    assert.equal(anonymous.status, 401);
    const agent = await httpAgent();
    const sid = (agent.transport as StreamableHTTPClientTransport).sessionId!;
    const other = await fetch(`${stack.url}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${stack.tokens['alice@example.com']}`, 'mcp-session-id': sid, 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    assert.equal(other.status, 403);
  });
});

/** A stack whose `/mcp` and stdio gateways hold calls 1 s and answer repeats for 2 s after an action settles. */
function shortWindowStack(env: Record<string, string> = {}) {
  const s = { stack: null as unknown as TestStack, stdioConfig: '', apiEffects: '', clients: [] as Client[] };
  const config = (effectsFile: string) => `hold: 1s\nrepeat_window: 2s\nservers:\n  notes: ${notesServer(effectsFile)}\n`;
  before(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'interlock-mcp-window-'));
    s.apiEffects = path.join(dir, 'api-effects.jsonl');
    s.stack = await startStack({ policy: POLICY, env, mcp: config(s.apiEffects) });
    s.stdioConfig = path.join(dir, 'stdio-mcp.yaml');
    writeFileSync(s.stdioConfig, config(path.join(dir, 'stdio-effects.jsonl')));
  });
  after(async () => {
    for (const c of s.clients) await c.close().catch(() => {});
    await s.stack?.stop();
  });
  return s;
}

describe('the MCP gateway once repeat_window has passed', () => {
  const s = shortWindowStack();

  /** Settles the call's action by a denial, then shows that only once repeat_window has passed the same call is a new action. */
  async function repeatWindowEnds(agent: Client, tool: string, args: Record<string, unknown>) {
    const first = (await agent.callTool({ name: tool, arguments: args })) as CallToolResult;
    const id = actionIdIn(first);
    assert.ok(id, text(first));
    const denied = await s.stack.call('alice@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'deny', comment: 'not now' });
    assert.equal(denied.status, 200, JSON.stringify(denied.body));
    const settled = await s.stack.until(BOT, id!, (a) => a.status === 'denied');
    const within = (await agent.callTool({ name: tool, arguments: args })) as CallToolResult;
    assert.equal(within.isError, true);
    assert.equal(actionIdIn(within), id, `within the window the same call answers the denied action: ${text(within)}`);
    // repeat_window is 2 s: the one real wait here, as short as the window it tests.
    const windowEnds = Date.parse(settled.updatedAt) + 2000 + 100;
    await new Promise((r) => setTimeout(r, Math.max(0, windowEnds - Date.now())));
    const after = (await agent.callTool({ name: tool, arguments: args })) as CallToolResult;
    const next = actionIdIn(after);
    assert.ok(next && next !== id, `past the window the same call is a new action: ${text(after)}`);
    assert.notEqual(after.isError, true, 'and it is pending, not an error');
    const repeat = (await agent.callTool({ name: tool, arguments: args })) as CallToolResult;
    assert.equal(actionIdIn(repeat), next, 'its repeats map to that new action, not a third one');
  }

  test('at /mcp: a call repeated after repeat_window is a new action', async () => {
    await repeatWindowEnds(await connectHttp(s.stack, BOT, s.clients), 'write_note', { id: 'rw-http', text: 'window' });
  });

  test('at /mcp: a call that stopped holding withdraws its claim; a later approval is plain, and the repeat runs it once', async () => {
    const agent = await connectHttp(s.stack, BOT, s.clients);
    const args = { id: 'gone-http', text: 'later' };
    const first = (await agent.callTool({ name: 'write_note', arguments: args })) as CallToolResult;
    const id = actionIdIn(first);
    assert.ok(id, text(first));
    const claims = await s.stack.services.database.db.select().from(gatewayClaims).where(eq(gatewayClaims.actionId, id!));
    assert.deepEqual(claims, [], 'no claim is left once the call answered pending');
    await s.stack.call('alice@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
    await s.stack.call('bob@example.com', 'POST', `/v1/actions/${id}/decisions`, { decision: 'approve' });
    const approved = await s.stack.until(BOT, id!, (a) => a.status === 'approved');
    assert.equal(approved.grant.redeemedAt, null, 'nobody held it: approved, not redeemed for a call that is gone');
    const outcome = (await agent.callTool({ name: 'write_note', arguments: args })) as CallToolResult;
    assert.equal(text(outcome), 'wrote note gone-http');
    assert.equal(effects(s.apiEffects).filter((e) => e.tool === 'write_note' && e.args.id === 'gone-http').length, 1, 'the upstream ran exactly once');
  });

  test('over stdio: a call repeated after repeat_window is a new action', async () => {
    await repeatWindowEnds(await connectStdio(s.stack, BOT, s.stdioConfig, s.clients), 'write_note', { id: 'rw-stdio', text: 'window' });
  });
});

describe('the MCP gateway under INTERLOCK_START_LIMIT', () => {
  const s = shortWindowStack({ INTERLOCK_START_LIMIT: '3' });

  test('held calls take from the principal\'s INTERLOCK_START_LIMIT, at /mcp and over stdio alike; over it the agent is told to retry', async () => {
    const agent = await connectHttp(s.stack, BOT, s.clients);
    for (let i = 0; i < 3; i++) {
      const held = (await agent.callTool({ name: 'write_note', arguments: { id: `lim${i}`, text: 'x' } })) as CallToolResult;
      assert.ok(actionIdIn(held), text(held));
    }
    const mine = async () => (await s.stack.call(BOT, 'GET', '/v1/actions?limit=50')).body.items.length;
    assert.equal(await mine(), 3);

    const over = (await agent.callTool({ name: 'write_note', arguments: { id: 'lim3', text: 'x' } })) as CallToolResult;
    assert.equal(over.isError, true);
    assert.match(text(over), /more than 3 workflow starts a minute \(INTERLOCK_START_LIMIT\); retry in \d+ s/);
    assert.match(text(over), /Nothing ran\. Call write_note again with the same arguments/);
    assert.equal(actionIdIn(over), undefined);

    // The stdio gateway submits through POST /v1/actions: the same budget, the same answer.
    const viaStdio = await connectStdio(s.stack, BOT, s.stdioConfig, s.clients);
    const overThere = (await viaStdio.callTool({ name: 'write_note', arguments: { id: 'lim4', text: 'x' } })) as CallToolResult;
    assert.equal(overThere.isError, true);
    assert.match(text(overThere), /INTERLOCK_START_LIMIT/);
    assert.equal(await mine(), 3, 'no action was started over the limit');
    const rest = await s.stack.call(BOT, 'POST', '/v1/actions', { action: 'mcp.notes.write_note', resource: 'mcp://notes/write_note', params: { id: 'lim5' }, execute: { type: 'none' } });
    assert.equal(rest.status, 429, 'and POST /v1/actions shares the budget the gateway used');
    assert.equal((await s.stack.call('alice@example.com', 'POST', '/v1/actions', { action: 'mcp.notes.write_note', resource: 'mcp://notes/write_note', params: { id: 'lim6' }, execute: { type: 'none' } })).status, 202, 'another principal has its own');

    const read = (await agent.callTool({ name: 'read_note', arguments: { id: 'n9' } })) as CallToolResult;
    assert.equal(text(read), 'note n9: hello', 'an allowed call starts no workflow and is not limited');
  });
});

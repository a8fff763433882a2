import { constants as osConstants } from 'node:os';
import { spawn } from 'node:child_process';
import { InterlockClient } from './api-client';
import { one, parseArgs, rejectUnknown, required, UsageError, type ParsedArgs } from './args';
import type { CliIo } from './io';
import type { Action } from '../domain/action';
import { isSettled } from '../domain/status';


const SUBMIT_FLAGS = ['action', 'resource', 'env', 'param', 'justification', 'on-behalf-of', 'idempotency-key', 'wait', 'timeout', 'json', 'context'];

/** `--param k=v ...` as the params object (values typed as parseValue says). */
export function paramsFrom(args: ParsedArgs): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const kv of args.flags.get('param') ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new UsageError(`--param "${kv}" must be key=value`);
    params[kv.slice(0, at)] = parseValue(kv.slice(at + 1));
  }
  return params;
}

function submissionFrom(args: ParsedArgs) {
  const params = paramsFrom(args);
  const context: Record<string, unknown> = {};
  for (const kv of args.flags.get('context') ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new UsageError(`--context "${kv}" must be key=value`);
    context[kv.slice(0, at)] = kv.slice(at + 1);
  }
  return {
    action: required(args, 'action'),
    resource: required(args, 'resource'),
    ...(one(args, 'env') ? { environment: one(args, 'env') } : {}),
    params,
    ...(Object.keys(context).length ? { context } : {}),
    ...(one(args, 'justification') ? { justification: one(args, 'justification') } : {}),
    ...(one(args, 'on-behalf-of') ? { onBehalfOf: one(args, 'on-behalf-of') } : {}),
  };
}

/** Numbers, booleans, null and JSON objects are kept as such; anything else is a string. */
function parseValue(v: string): unknown {
  if (/^(-?\d+(\.\d+)?|true|false|null)$/.test(v) || /^[[{"]/.test(v)) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

function describe(a: Action): string {
  const d = a.decision;
  if (a.status === 'pending_approval' && d) {
    const who = [...d.approvers.groups.map((g) => `group ${g}`), ...d.approvers.principals].join(', ');
    return `pending_approval: ${a.approvals.filter((v) => v.decision === 'approve').length}/${d.quorum} approvals from ${who}${d.expiresAt ? `, expires ${d.expiresAt}` : ''}`;
  }
  return a.statusReason ? `${a.status}: ${a.statusReason}` : a.status;
}

/** Long-polls until the action settles, printing each change so a person sees what is happening. */
async function waitFor(client: InterlockClient, a: Action, io: CliIo, timeoutSeconds: number): Promise<Action> {
  const until = Date.now() + timeoutSeconds * 1000;
  let last = describe(a);
  io.err(`${a.id}  ${last}`);
  if (a.links) io.err(`  Temporal UI: ${a.links.temporalUi}`);
  while (!isSettled(a)) {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) throw new UsageError(`gave up waiting after ${timeoutSeconds}s; ${a.id} is still ${a.status}`);
    // Short polls while it is moving (evaluation takes milliseconds; votes should show as they arrive).
    const slice = a.status === 'evaluating' ? 0 : Math.min(left, 5);
    if (slice === 0) await new Promise((r) => setTimeout(r, 150));
    a = await client.request<Action>('GET', `/v1/actions/${a.id}/wait?timeout=${slice}`);
    const now = describe(a);
    if (now !== last) io.err(`${a.id}  ${now}`);
    last = now;
  }
  return a;
}

export async function submitCommand(argv: string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv, ['wait', 'json']);
  rejectUnknown(args, SUBMIT_FLAGS);
  const client = InterlockClient.fromEnv(io.env);
  const key = one(args, 'idempotency-key');
  let action = await client.request<Action>('POST', '/v1/actions', submissionFrom(args), key ? { 'idempotency-key': key } : {});
  if (!args.flags.has('wait')) {
    io.out(args.flags.has('json') ? JSON.stringify(action, null, 2) : `${action.id} ${action.status}`);
    return 0;
  }
  action = await waitFor(client, action, io, Number(one(args, 'timeout') ?? 3600));
  io.out(args.flags.has('json') ? JSON.stringify(action, null, 2) : `${action.id} ${action.status}`);
  return action.status === 'succeeded' || action.status === 'approved' ? 0 : 1;
}

/** Gate mode: submit, wait for approval, run the command, report its exit code as the result. */
export async function execCommand(argv: string[], io: CliIo): Promise<number> {
  // exec always waits: `--wait` is taken (as submit takes it) and changes nothing.
  const args = parseArgs(argv, ['wait', 'json']);
  rejectUnknown(args, SUBMIT_FLAGS);
  if (args.rest.length === 0) throw new UsageError('give the command to run after `--`, e.g. `interlock exec --action A --resource R -- ./export.sh`');
  const client = InterlockClient.fromEnv(io.env);
  const key = one(args, 'idempotency-key');
  let action = await client.request<Action>('POST', '/v1/actions', { ...submissionFrom(args), execute: { type: 'none' } }, key ? { 'idempotency-key': key } : {});
  action = await waitFor(client, action, io, Number(one(args, 'timeout') ?? 3600));
  if (action.status !== 'approved') {
    io.err(`not running the command: ${describe(action)}`);
    return 1;
  }
  // The grant is consumed before anything runs: with the params as submitted (secret values included, which the
  // Action shows redacted), so a second run of this approval, or one with other params, is refused.
  const grant = action.grant?.token;
  if (!grant) {
    io.err(`not running the command: ${action.id} is approved but carries no grant to redeem (is the server older than signed grants?)`);
    return 1;
  }
  action = await client.request<Action>('POST', '/v1/grants/redeem', { grant, params: paramsFrom(args) });
  io.err(`${action.id}  grant redeemed; running: ${args.rest.join(' ')}`);
  const started = Date.now();
  const run = await runCommand(args.rest, io);
  const status = run.code === 0 ? 'succeeded' : 'failed';
  await client.request('POST', `/v1/actions/${action.id}/result`, { status, output: { exitCode: run.code, command: args.rest, durationMs: Date.now() - started, stdout: run.stdout, stderr: run.stderr } });
  io.err(`${action.id}  ${status} (exit ${run.code}), reported`);
  return run.code;
}

/** How much of each stream the result keeps: its last bytes, where a failure usually says why. */
const OUTPUT_TAIL_BYTES = 4096;

/** Runs the command with its output passed through, keeping the tail of each stream for the result. */
function runCommand(argv: string[], io: CliIo): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const tails = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
    const keep = (name: 'stdout' | 'stderr', chunk: Buffer) => {
      const joined = Buffer.concat([tails[name], chunk]);
      tails[name] = joined.subarray(Math.max(0, joined.length - OUTPUT_TAIL_BYTES));
    };
    const child = spawn(argv[0], argv.slice(1), { stdio: ['inherit', 'pipe', 'pipe'], env: io.env });
    child.stdout.on('data', (d: Buffer) => {
      process.stdout.write(d);
      keep('stdout', d);
    });
    child.stderr.on('data', (d: Buffer) => {
      process.stderr.write(d);
      keep('stderr', d);
    });
    const done = (code: number) => resolve({ code, stdout: tails.stdout.toString('utf8'), stderr: tails.stderr.toString('utf8') });
    child.on('error', (err) => {
      io.err(`cannot run ${argv[0]}: ${err.message}`);
      done(127);
    });
    // Killed by a signal: 128 + its number, as a shell reports it (SIGKILL 137, SIGTERM 143).
    child.on('close', (c, signal) => done(c ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1)));
  });
}

import { spawn } from 'node:child_process';
import { InterlockClient } from './api-client';
import { one, parseArgs, rejectUnknown, required, UsageError, type ParsedArgs } from './args';
import type { CliIo } from './io';
import type { Action } from '../domain/action';
import { isSettled } from '../domain/status';


const SUBMIT_FLAGS = ['action', 'resource', 'env', 'param', 'justification', 'on-behalf-of', 'idempotency-key', 'wait', 'timeout', 'json', 'context'];

function submissionFrom(args: ParsedArgs) {
  const params: Record<string, unknown> = {};
  for (const kv of args.flags.get('param') ?? []) {
    const at = kv.indexOf('=');
    if (at <= 0) throw new UsageError(`--param "${kv}" must be key=value`);
    params[kv.slice(0, at)] = parseValue(kv.slice(at + 1));
  }
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
  const args = parseArgs(argv, ['json']);
  rejectUnknown(args, SUBMIT_FLAGS.filter((f) => f !== 'wait'));
  if (args.rest.length === 0) throw new UsageError('give the command to run after `--`, e.g. `interlock exec --action A --resource R -- ./export.sh`');
  const client = InterlockClient.fromEnv(io.env);
  const key = one(args, 'idempotency-key');
  let action = await client.request<Action>('POST', '/v1/actions', { ...submissionFrom(args), execute: { type: 'none' } }, key ? { 'idempotency-key': key } : {});
  action = await waitFor(client, action, io, Number(one(args, 'timeout') ?? 3600));
  if (action.status !== 'approved') {
    io.err(`not running the command: ${describe(action)}`);
    return 1;
  }
  io.err(`approved; running: ${args.rest.join(' ')}`);
  const started = Date.now();
  const code = await new Promise<number>((resolve) => {
    const child = spawn(args.rest[0], args.rest.slice(1), { stdio: 'inherit', env: io.env });
    child.on('error', (err) => {
      io.err(`cannot run ${args.rest[0]}: ${err.message}`);
      resolve(127);
    });
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  const status = code === 0 ? 'succeeded' : 'failed';
  await client.request('POST', `/v1/actions/${action.id}/result`, { status, output: { exitCode: code, command: args.rest, durationMs: Date.now() - started } });
  io.err(`${action.id}  ${status} (exit ${code}), reported`);
  return code;
}

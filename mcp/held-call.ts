// A tool call the policy sends for approval: an ordinary gate-mode action. The call is held up to `hold`; once
// approved, the grant is redeemed (once, by the server: in the approving vote's own step for the call that holds a claim
// on it in the API process, else by whichever gateway process or repeated call redeems it first, which
// runs the upstream, the others wait for its result) and the upstream is called with exactly the approved arguments.
import { createHash } from 'node:crypto';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import canonicalize from 'canonicalize';
import type { Action, Submission } from '../domain/action';
import { isTerminal } from '../domain/status';
import { closed, kept, pending, refused } from './answers';
import { refusalOf, type InterlockPort } from './port';

/** The upstream result kept as the action's output; the API keeps at most 64 KiB of it. */
const MAX_KEPT_BYTES = 60 * 1024;
/** A settled action this many generations deep is the last one looked at (one per repeat_window of calls). */
const MAX_GENERATIONS = 50;
/** The longest single wait: a held call sends a progress notification at least this often. Waits end early when the action settles. */
const SLICE_MS = 10_000;
const REDEEMED_ELSEWHERE_PAUSE_MS = 25;

export interface HeldCall {
  port: InterlockPort;
  call: Submission;
  /** As the agent sent them, secret-looking values included (the action shows those redacted). */
  args: Record<string, unknown>;
  tool: string;
  holdSeconds: number;
  repeatWindowSeconds: number;
  runUpstream(): Promise<CallToolResult>;
  progress(message: string): Promise<void>;
  log: { warn(obj: object, msg: string): void };
  /** The agent's request: aborted when it cancels the call or goes away, and then nothing more is held or run for it. */
  signal?: AbortSignal;
}

/** Identical calls (same principal by the key's scope, same person, tool and RFC 8785 canonical arguments) share a key. */
export function repeatKey(call: Submission): string {
  const identity = canonicalize({ action: call.action, resource: call.resource, environment: call.environment ?? null, onBehalfOf: call.onBehalfOf ?? null, params: call.params ?? {} }) ?? '';
  return `mcp:${createHash('sha256').update(identity).digest('hex')}`;
}

/** When the action stopped taking this call: terminal, or approved with a grant window that closed unused; null while open. */
function settledAt(a: Action): number | null {
  if (isTerminal(a.status)) return Date.parse(a.updatedAt);
  if (a.status === 'approved' && a.grant && Date.now() >= Date.parse(a.grant.expiresAt)) return Date.parse(a.grant.expiresAt);
  return null;
}

const isStale = (a: Action, windowSeconds: number) => {
  const at = settledAt(a);
  return at !== null && Date.now() - at > windowSeconds * 1000;
};

/** The action this call maps to: the open or recently settled one for the same call, else a new one. */
async function actionFor(h: HeldCall): Promise<Action> {
  let key = repeatKey(h.call);
  for (let generation = 0; generation < MAX_GENERATIONS; generation++) {
    let action: Action;
    try {
      action = await h.port.submit(h.call, key);
    } catch (err) {
      // The same call with other context (another client, changed annotations) is still the same call.
      const r = refusalOf(err);
      const prior = r?.code === 'idempotency_key_reused' ? (r.details?.find((d) => typeof d.actionId === 'string')?.actionId as string | undefined) : undefined;
      if (!prior) throw err;
      action = await h.port.get(prior);
    }
    if (!isStale(action, h.repeatWindowSeconds)) return action;
    // Past the window: the next action for this call is keyed by the one before, so every gateway picks the same.
    key = `${repeatKey(h.call)}:after:${action.id}`;
  }
  throw new Error(`more than ${MAX_GENERATIONS} settled actions for one repeated call`);
}

function keepable(result: CallToolResult): unknown {
  if (Buffer.byteLength(JSON.stringify(result)) <= MAX_KEPT_BYTES) return result;
  return { content: [{ type: 'text', text: `(the upstream's result was larger than ${MAX_KEPT_BYTES} bytes and is not kept; the call that ran it received it whole)` }], isError: result.isError === true };
}

/** Redeems the grant and runs the upstream once; null when another call redeemed it first (wait for its result). */
async function runApproved(h: HeldCall, a: Action): Promise<CallToolResult | null> {
  try {
    await h.port.redeem(a.grant!.token!, h.args);
  } catch (err) {
    const r = refusalOf(err);
    if (r?.code === 'grant_used') return null;
    return refused(h.tool, `the approval of ${a.id} could not be used (${r?.code ?? 'error'}: ${r?.message ?? (err as Error).message}). The tool did not run.`);
  }
  return runRedeemed(h, a);
}

/** The grant is redeemed for this call: the upstream runs once with the approved arguments, and its outcome is reported. */
async function runRedeemed(h: HeldCall, a: Action): Promise<CallToolResult> {
  let result: CallToolResult;
  try {
    result = await h.runUpstream();
  } catch (err) {
    const error = (err as Error).message;
    await h.port.report(a.id, 'failed', { error }).catch((e) => h.log.warn({ actionId: a.id, err: String(e) }, 'the failed upstream call could not be reported'));
    return refused(h.tool, `action ${a.id} was approved but the upstream failed: ${error}`);
  }
  await h.port.report(a.id, result.isError ? 'failed' : 'succeeded', keepable(result)).catch((e) => h.log.warn({ actionId: a.id, err: String(e) }, 'the upstream result could not be reported'));
  return result;
}

export async function holdCall(h: HeldCall): Promise<CallToolResult> {
  const deadline = Date.now() + h.holdSeconds * 1000;
  let a = await actionFor(h);
  for (;;) {
    // Nobody is waiting for this call any more: it answers pending (to nobody) and holds no claim; the action goes on.
    if (h.signal?.aborted) return pending(a, h.tool, h.repeatWindowSeconds);
    if (a.status === 'succeeded' || a.status === 'failed') return kept(a, h.tool);
    if (a.status === 'denied' || a.status === 'expired' || a.status === 'cancelled') return closed(a, h.tool);
    if (a.status === 'approved' && a.grant?.token && !a.grant.redeemedAt) {
      const ran = await runApproved(h, a);
      if (ran) return ran;
    } else if (a.status === 'approved' && !a.grant?.token) {
      return closed(a, h.tool); // approved, but its grant can no longer be used: the window closed
    }
    const left = deadline - Date.now();
    if (left <= 0) return pending(a, h.tool, h.repeatWindowSeconds);
    await h.progress(a.status === 'executing' || a.status === 'approved' ? `${a.id} approved; the tool is running` : `${a.id} waiting for ${a.decision ? 'approval' : 'the policy'}`);
    // Approved but redeemed by another call: a wait would answer at once until it shows `executing`, so look again shortly.
    if (a.status === 'approved') await new Promise((r) => setTimeout(r, Math.min(left, REDEEMED_ELSEWHERE_PAUSE_MS)));
    // At /mcp: held with a claim while pending; and once executing, a redemption made for this process's claim
    // (by a vote that read it as an earlier call stopped holding) is run by this call.
    if ((a.status === 'pending_approval' || a.status === 'executing') && h.port.hold) {
      const held = await h.port.hold(a.id, h.args, Math.min(left, SLICE_MS), h.signal);
      if (held.mine) return runRedeemed(h, held.action);
      const moved = held.action.status !== a.status;
      a = held.action;
      if (moved || a.status === 'pending_approval') continue;
    }
    a = await h.port.wait(a.id, Math.min(left, SLICE_MS));
  }
}

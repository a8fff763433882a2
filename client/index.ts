// `import { Interlock } from 'interlock/client'`: the REST API for code that is not MCP (agent-framework tools,
// scripts), with `guard` to run an operation only once it is approved. It holds no server code: a plain HTTP client.
import type { Action, Submission } from '../domain/action';
import { isSettled } from '../domain/status';
import { ActionCancelled, ActionDenied, ActionExpired, InterlockApiError, WaitTimedOut } from './errors';

export { ActionCancelled, ActionDenied, ActionExpired, InterlockApiError, WaitTimedOut } from './errors';
export type { Action, Submission } from '../domain/action';

export interface InterlockOptions {
  /** The API's base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  /** A bearer token (`npx interlock token create <principal-id>`): its principal is the requester. */
  token: string;
}

export interface WaitOptions {
  /** Seconds to wait in all; default one hour. */
  timeout?: number;
  /** Called with the Action whenever its status or votes change. */
  onProgress?: (action: Action) => void;
  /** Cancels the wait (not the action). */
  signal?: AbortSignal;
}

/** The longest one long poll asks for (the API returns when the action settles, else at the timeout); votes show at that pace. */
const POLL_SLICE_SECONDS = 5;
const EVALUATING_PAUSE_MS = 100;

const progressKey = (a: Action) => `${a.status}:${a.approvals.length}:${a.decision?.escalationLevel ?? 0}`;

export class Interlock {
  private readonly base: string;
  constructor(private readonly options: InterlockOptions) {
    this.base = options.url.replace(/\/$/, '');
  }

  /** Sends one request; a refusal throws InterlockApiError with the contract's code. */
  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new InterlockApiError(0, 'unreachable', `cannot reach Interlock at ${this.base}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
    }
    const text = await res.text();
    let parsed: any = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON: reported below by status */
    }
    if (!res.ok) throw new InterlockApiError(res.status, parsed?.error?.code ?? 'http_error', parsed?.error?.message ?? `HTTP ${res.status}`, parsed?.error?.details ?? []);
    return parsed as T;
  }

  /** Submits an action as the token's principal; the same idempotency key and body return the same action. */
  submit(req: Submission, opts: { idempotencyKey?: string } = {}): Promise<Action> {
    return this.request<Action>('POST', '/v1/actions', req, opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {});
  }

  get(id: string): Promise<Action> {
    return this.request<Action>('GET', `/v1/actions/${encodeURIComponent(id)}`);
  }

  /** Returns once the action is settled (terminal, or approved in gate mode), or with its state when `timeout` runs out. */
  async wait(id: string, opts: WaitOptions = {}): Promise<Action> {
    const until = Date.now() + (opts.timeout ?? 3600) * 1000;
    let action = await this.get(id);
    let seen = progressKey(action);
    opts.onProgress?.(action);
    while (!isSettled(action)) {
      const left = Math.floor((until - Date.now()) / 1000);
      if (left <= 0) return action;
      // Evaluation takes milliseconds: look again soon, so `onProgress` sees the pending approval as it opens.
      if (action.status === 'evaluating') {
        await new Promise((r) => setTimeout(r, EVALUATING_PAUSE_MS));
        action = await this.get(id);
      } else {
        action = await this.request<Action>('GET', `/v1/actions/${encodeURIComponent(id)}/wait?timeout=${Math.min(left, POLL_SLICE_SECONDS)}`, undefined, {}, opts.signal);
      }
      if (progressKey(action) !== seen) {
        seen = progressKey(action);
        opts.onProgress?.(action);
      }
    }
    return action;
  }

  /** A vote as the token's principal (an approver; never the requester or the person it acts for). */
  decide(id: string, decision: 'approve' | 'deny', comment?: string): Promise<Action> {
    return this.request<Action>('POST', `/v1/actions/${encodeURIComponent(id)}/decisions`, { decision, ...(comment ? { comment } : {}) });
  }

  /** Dry run: the decision a submission would get now. Starts nothing. */
  evaluate(req: Submission): Promise<{ decision: Record<string, any>; problems: Array<Record<string, unknown>>; policyVersion: string }> {
    return this.request('POST', '/v1/policy/evaluate', req);
  }

  /** Gate mode: consumes the approved action's grant once, for exactly these params; the action is then `executing`. */
  redeem(grant: string, params: Record<string, unknown>): Promise<Action> {
    return this.request<Action>('POST', '/v1/grants/redeem', { grant, params });
  }

  /** Gate mode: what happened when the operation ran. */
  reportResult(id: string, status: 'succeeded' | 'failed', output?: unknown): Promise<Action> {
    return this.request<Action>('POST', `/v1/actions/${encodeURIComponent(id)}/result`, { status, output: output ?? null });
  }

  /**
   * Runs `fn` only once the action is approved: submits it in gate mode, waits, redeems its grant with the params as
   * submitted, runs `fn`, and reports its outcome as the action's result. Returns what `fn` returned; throws
   * ActionDenied, ActionExpired or ActionCancelled (and `fn` does not run) otherwise.
   */
  async guard<T>(req: Submission, fn: (action: Action) => Promise<T> | T, opts: WaitOptions & { idempotencyKey?: string } = {}): Promise<T> {
    const submitted = await this.submit({ ...req, execute: { type: 'none' } }, { idempotencyKey: opts.idempotencyKey });
    const action = await this.wait(submitted.id, opts);
    if (action.status === 'denied') throw new ActionDenied(action);
    if (action.status === 'expired') throw new ActionExpired(action);
    if (action.status === 'cancelled') throw new ActionCancelled(action);
    if (action.status !== 'approved') throw new WaitTimedOut(action);
    const running = action.grant?.token ? await this.redeem(action.grant.token, req.params ?? {}) : action;
    let value: T;
    try {
      value = await fn(running);
    } catch (err) {
      await this.reportResult(action.id, 'failed', { error: (err as Error)?.message ?? String(err) });
      throw err;
    }
    await this.reportResult(action.id, 'succeeded', value === undefined ? null : value);
    return value;
  }
}

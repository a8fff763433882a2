// What the gateway needs of Interlock, as one interface with two implementations: over the REST API with the
// `interlock/client` library (the stdio gateway, which may run far from the server) and in-process over the core
// use cases (the `/mcp` route inside the API). The gateway's logic is written once, against this.
import type { Action, Submission } from '../domain/action';

/** The policy's verdict on one tool call, before anything runs. */
export interface Judgement {
  outcome: 'allow' | 'deny' | 'require_approval';
  ruleId: string | null;
  reason: string;
  policyVersion: string;
  /** Why a real submission of this call would be refused (e.g. an unknown on-behalf-of person); empty when none. */
  problems: string[];
}

/** How a forwarded (allowed) or refused (denied) call ended, for its `mcp.call` audit event. */
export interface CallOutcome {
  durationMs: number;
  isError: boolean;
}

/**
 * A refusal from either implementation: the contract's error code (InterlockError in process, the API's error
 * body over HTTP) and the fields it names. The gateway reads the code, never the text.
 */
export interface PortRefusal {
  code: string;
  message: string;
  details?: ReadonlyArray<Record<string, unknown>>;
}

export function refusalOf(err: unknown): PortRefusal | null {
  if (err instanceof Error && typeof (err as Partial<PortRefusal>).code === 'string') return err as unknown as PortRefusal;
  return null;
}

export interface InterlockPort {
  judge(call: Submission): Promise<Judgement>;
  /**
   * Writes the call's one `mcp.call` audit event. `judged` is what `judge` answered: the in-process port records it as
   * it is (the server's own verdict); over REST the server judges the call again and records its own.
   */
  record(call: Submission, outcome: CallOutcome, judged: Judgement): Promise<void>;
  submit(call: Submission, idempotencyKey: string): Promise<Action>;
  get(id: string): Promise<Action>;
  /** Returns as soon as the action is settled (terminal, or approved for this gate-mode caller), or after `ms` with its state then. */
  wait(id: string, ms: number): Promise<Action>;
  /**
   * In process only: waits like `wait` while the action is pending approval, holding a claim so that the approving
   * vote redeems the grant for this call in its own step; `mine` when the redemption is this call's to run. An abort
   * (the agent cancelled the call or went away) stops the hold at once and withdraws the claim; `mine` is then false.
   */
  hold?(id: string, params: Record<string, unknown>, ms: number, signal?: AbortSignal): Promise<{ action: Action; mine: boolean }>;
  /** Consumes the grant once, across every process: a second redemption is refused with `grant_used`. */
  redeem(grant: string, params: Record<string, unknown>): Promise<Action>;
  report(id: string, status: 'succeeded' | 'failed', output: unknown): Promise<Action>;
}

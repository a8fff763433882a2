import { createHash } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import canonicalize from 'canonicalize';
import { and, arrayContains, arrayOverlaps, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { ulid } from 'ulid';
import { policyInputFor } from '../activities';
import { actionAuditEvents } from '../audit';
import { actions as actionsTable, gatewayClaims, idempotencyKeys } from '../db/schema';
import type { Action, Submission } from '../domain/action';
import type { AuditEvent } from '../domain/audit-event';
import { canonicalIdentity, sameIdentity } from '../domain/identity';
import type { Principal } from '../domain/principal';
import { isSettled, isTerminal } from '../domain/status';
import { executionPlan, executorFor } from '../executors';
import { validateSubmission } from '../policy';
import type { Services } from '../services';
import { cancelUpdate, decideUpdate, getActionQuery, redeemGrantUpdate, reportResultUpdate, submittedUpdate, WORKFLOW_TYPE, type ActionWorkflowInput } from '../workflows/messages';
import { initialAction } from '../workflows/initial-action';
import { SearchAttributes } from '../workflows/search-attributes';
import { staticDetailsOf, staticSummaryOf } from '../workflows/story';
import { temporalUiLink } from '../config';
import { paramsHash } from '../grants';
import { canRead, isAdmin, isAuditor } from './access';
import { ActionChanges } from './action-watch';
import { ErrorCode, InterlockError, notFound } from './errors';
import { redeemGrant } from './grant-redeem';
import { withGrantFor } from './grant-view';
import { oversizedParts } from './submission-size';
import { codedRefusal, executeHash, normaliseSubmission, unknownOnBehalfOf } from './submission';
import { updateError } from './update-errors';

/** What the use cases read of the process's services. */
export type CoreServices = Pick<Services, 'config' | 'log' | 'metrics' | 'database' | 'policy' | 'principals' | 'targets' | 'grants' | 'audit'>;

/** How long a vote, cancel or result waits for the workflow to take it before the API answers 503. */
const UPDATE_DEADLINE_MS = 15_000;
/** How long a submission waits for the trail to hold the policy's decision before answering `evaluating` (the workflow runs on). */
const SUBMIT_DECISION_MS = 10_000;

/** A process's one watch on an action, and how many of its waiters still want it. */
interface Watch {
  settled: Promise<Action | null>;
  waiters: number;
}

type WatchKind = 'settled' | 'moved';
const WATCH_UNTIL: Record<WatchKind, (a: Action) => boolean> = { settled: isSettled, moved: (a) => a.status !== 'pending_approval' && a.status !== 'evaluating' };

/** This process's claim on a gate-mode action for the gateway calls it holds (one per action, shared by them). */
interface HeldClaim {
  claimId: string;
  until: number;
  /** A local call took the redemption made for the claim: the others wait for its result. */
  taken: boolean;
  /** Calls of this process holding it now; at 0 it is withdrawn. */
  holders: number;
  /** When it was withdrawn from `grant_claims`; null while written. */
  releasedAt: number | null;
}

/** Added to a held call's wait for its claim's lease: the lease outlives the wait only by this, if the process dies. */
const CLAIM_MARGIN_MS = 2_000;
/** A watch that heard nothing this long asks the workflow itself, in case its last step could not be recorded. */
const ASK_WORKFLOW_AFTER_MS = 29_000;
/** How long a withdrawn claim is still recognised here, for a vote that read it just before. */
const CLAIM_GRACE_MS = 60_000;

export interface ListFilter {
  status?: string;
  action?: string;
  requester?: string;
  limit?: number;
  cursor?: string;
}

/**
 * The application's use cases over the workflow (source of truth) and the projection table (for lists). Every door
 * (the API, Slack) calls these; a refusal is an InterlockError whose code the door maps (api/errors.ts for HTTP).
 */
export class ActionCore {
  private readonly watches = new Map<string, Watch>();
  private readonly claims = new Map<string, HeldClaim>();
  /** Ends every watch's round when the API closes, before its Temporal connection does. */
  private readonly closing = new AbortController();
  private readonly changes: ActionChanges;

  constructor(private readonly services: CoreServices, private readonly temporal: Client) {
    this.changes = new ActionChanges(services.database, services.log);
  }

  private get db() {
    return this.services.database.db;
  }

  async submit(requester: Principal, body: Submission, idempotencyKey?: string): Promise<{ action: Action; replayed: boolean }> {
    // A replay (same key, same body) is the action it made, whatever the policy, principals or targets say now: it is
    // answered before they are asked. A key whose action never started goes on as a new submission would.
    const bodyHash = idempotencyKey === undefined ? '' : createHash('sha256').update(canonicalize(body) ?? '').digest('hex');
    if (idempotencyKey !== undefined) {
      const [prior] = await this.db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.principalId, requester.id), eq(idempotencyKeys.key, idempotencyKey)));
      if (prior && prior.bodyHash !== bodyHash) throw keyReused(idempotencyKey, prior.actionId);
      const made = prior ? await this.find(prior.actionId) : null;
      if (made) return { action: await this.shown(requester, made), replayed: true };
    }
    const principals = this.services.principals.current();
    const oversized = oversizedParts(body);
    if (oversized.length > 0) throw codedRefusal(oversized);
    const unknown = unknownOnBehalfOf(principals, body.onBehalfOf);
    if (unknown) throw new InterlockError(unknown.code, unknown.message, [{ field: unknown.field, message: unknown.message }]);
    const input: ActionWorkflowInput = { id: `act_${ulid()}`, submission: normaliseSubmission(body, principals), requester, submittedAt: new Date().toISOString() };
    const executor = executorFor(input.submission.execute.type);
    const targets = this.services.targets.current();
    const refused = executor.check(input.submission.execute, { config: this.services.config, targets });
    if (refused.length > 0) throw codedRefusal(refused);
    const location = executor.locate?.(input.submission.execute, targets);
    if (location) input.executeTarget = location;
    // The target's timeout and retry schedule (and a statement's SQL) as approved: a later edit of targets.yaml changes neither.
    const plan = executionPlan(input.submission.execute, targets);
    if (plan) input.execution = plan;
    const hash = executeHash(input.submission.execute);
    if (hash) input.executeHash = hash;
    if (input.submission.execute.type === 'none') input.paramsHash = paramsHash(input.submission.params ?? {});
    const policy = this.services.policy.current();
    const decision = policy.evaluate(policyInputFor(input));
    const problems = validateSubmission(decision, input.submission);
    if (problems.length > 0) throw new InterlockError(ErrorCode.unprocessable, problems.map((p) => p.message).join('; '), problems as never);
    input.decision = decision; // decided once, here; the workflow records it as policy.evaluated
    input.notify = !!(this.services.config.slack || this.services.config.teams);

    let replayed = false;
    if (idempotencyKey !== undefined) {
      // Over the raw body, secrets included: a hash keeps none, and two different secrets are two different bodies.
      const inserted = await this.db.insert(idempotencyKeys).values({ principalId: requester.id, key: idempotencyKey, bodyHash, actionId: input.id }).onConflictDoNothing().returning();
      if (inserted.length === 0) {
        const [prior] = await this.db.select().from(idempotencyKeys).where(and(eq(idempotencyKeys.principalId, requester.id), eq(idempotencyKeys.key, idempotencyKey)));
        if (prior.bodyHash !== bodyHash) throw keyReused(idempotencyKey, prior.actionId);
        input.id = prior.actionId;
        replayed = true;
      }
    }
    const start = new WithStartWorkflowOperation(WORKFLOW_TYPE, {
      workflowId: input.id,
      taskQueue: this.services.config.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      // An idempotent replay of an open action attaches to it (the same `submitted` update id answers it again).
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: staticSummaryOf(input),
      staticDetails: staticDetailsOf(input, { self: `${this.services.config.publicUrl}/v1/actions/${input.id}`, temporalUi: temporalUiLink(this.services.config, input.id) }),
      typedSearchAttributes: [
        { key: SearchAttributes.action, value: input.submission.action },
        { key: SearchAttributes.status, value: 'evaluating' },
        { key: SearchAttributes.requester, value: requester.id },
        { key: SearchAttributes.environment, value: input.submission.environment },
        { key: SearchAttributes.risk, value: 'none' },
      ] as never,
    });
    let decided: Action | null = null;
    try {
      // Update-with-Start: the start and the `submitted` update in one call, answered once the decision is recorded.
      decided = await this.temporal.withDeadline(Date.now() + SUBMIT_DECISION_MS, () =>
        this.temporal.workflow.executeUpdateWithStart(submittedUpdate, { updateId: 'submitted', startWorkflowOperation: start }),
      );
    } catch (err) {
      // Started, but not decided in time (a slow worker or policy): the action is `evaluating` and goes on.
      // (When the call ran out before the server answered, the workflow may still have started: it is asked.)
      const started = await start.workflowHandle().then(
        () => true,
        () => this.temporal.withDeadline(Date.now() + 3000, () => this.temporal.workflow.getHandle(input.id).describe()).then(
          () => true,
          () => false,
        ),
      );
      if (!started) {
        // Two requests with one key race, or the key's action is closed already: the same action.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError && idempotencyKey !== undefined)) {
          // Nothing started: a rejected request changes nothing, so the key this request took is given back.
          if (idempotencyKey !== undefined && !replayed) {
            await this.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.principalId, requester.id), eq(idempotencyKeys.key, idempotencyKey), eq(idempotencyKeys.actionId, input.id))).catch(() => undefined);
          }
          throw err;
        }
        return { action: await this.shown(requester, (await this.find(input.id)) ?? initialAction(input)), replayed };
      }
    }
    // Counted on the first start only: an idempotent replay is the same submission.
    if (!replayed) this.services.metrics.submissions.inc({ action: policy.labelFor('action', input.submission.action), environment: policy.labelFor('environment', input.submission.environment) });
    // A replay answers the action as it is now (the `submitted` update's answer is from the first request).
    const now = replayed ? await this.find(input.id) : decided;
    return { action: await this.shown(requester, now ?? decided ?? initialAction(input)), replayed };
  }

  /**
   * The action as the trail recorded it while its workflow runs; the workflow's own answer (a Query) before its
   * first step is written, or once it has closed without recording its end (a long database outage: fail closed).
   */
  async find(id: string): Promise<Action | null> {
    if (!ACTION_ID.test(id)) return null; // no action has such an id: nothing to ask
    const recorded = await this.recorded(id);
    if (recorded && isTerminal(recorded.status)) return recorded;
    // Every change of a running action is a step, written with its projection in one transaction before anyone
    // is answered (a vote's 200, the submission's decision), and the Query answers from the recorded status too:
    // while the workflow runs, the projection is that answer. Asking the workflow instead would make a worker
    // replay an action evicted from its cache (thousands pending for hours) on every read, and wait behind a
    // local executor's try. Describe is answered by the server alone.
    if (recorded) {
      const running = await this.temporal
        .withDeadline(Date.now() + 3000, () => this.temporal.workflow.getHandle(id).describe())
        .then((d) => d.status.name === 'RUNNING', () => true);
      if (running) return recorded;
    }
    try {
      return await this.ask(id);
    } catch (err) {
      // No such workflow: no such action. A workflow that exists but cannot answer yet (a loaded worker, its
      // first step not written) is not "not found": the caller is told to retry.
      if (recorded || err instanceof WorkflowNotFoundError) return recorded;
      throw new InterlockError(ErrorCode.unavailable, `action ${id} cannot answer yet; retry shortly`);
    }
  }

  /** The workflow's own answer (the `getAction` Query), bounded: with no worker to take it, a Query would wait. */
  private ask(id: string): Promise<Action> {
    return this.temporal.withDeadline(Date.now() + 3000, () => this.temporal.workflow.getHandle(id).query(getActionQuery));
  }

  /**
   * Before a vote: 404 when there is no such action; 403 `not_an_approver` when the caller may not read it (the
   * contract's answer to a non-approver), saying nothing of the action. A reader's vote is judged by the workflow.
   */
  async mayVote(caller: Principal, id: string): Promise<void> {
    const refusal = () => new InterlockError(ErrorCode.notAnApprover, `${caller.id} is not an approver of action ${id}`);
    // Who may read it is in the recorded action; whether it still takes votes is the workflow's to say (the vote's
    // Update), so no Describe first. Before its first step is written, the workflow is asked.
    const recorded = ACTION_ID.test(id) ? await this.recorded(id) : null;
    if (!recorded) return void (await this.readable(caller, id, refusal));
    if (canRead(caller, recorded)) return;
    // An escalation widens the approvers in the workflow a moment before its step is written: before refusing a
    // voter the trail does not list yet, ask the workflow (the vote's Update judges it again either way).
    const live = await this.ask(id).catch(() => null);
    if (!live || !canRead(caller, live)) throw refusal();
  }

  /**
   * 404 for an id that names no action; 403 `forbidden` for one the caller may not read (the contract's "not
   * allowed": a vote says as much already), with nothing of the action itself. Ids are random: a 403 tells an
   * outsider only that an id it already holds is real.
   */
  async get(caller: Principal, id: string): Promise<Action> {
    return this.shown(caller, await this.readable(caller, id, () => mayNotRead(caller, id)));
  }

  /** The action, when there is one (else 404) and `caller` may read it (else `refusal`). */
  private async readable(caller: Principal, id: string, refusal: () => InterlockError): Promise<Action> {
    const action = await this.find(id);
    if (!action) throw notFound(`action ${id}`);
    if (!canRead(caller, action)) throw refusal();
    return action;
  }

  /** What `caller` sees of an action it may read: the grant's token for the requester only. */
  private async shown(caller: Principal, action: Action): Promise<Action> {
    if (!action.grant) return action;
    return withGrantFor(caller, action, this.services.grants, this.services.config.publicUrl);
  }

  /**
   * Long poll: returns once the action is settled (terminal, or approved and awaiting a gate-mode caller), or at the
   * timeout with the action as it is. This process watches each action once, on its recorded changes, and serves
   * every local waiter from that watch, so waiters never fill the workflow's Update slots that votes need.
   */
  wait(caller: Principal, id: string, timeoutSeconds: number): Promise<Action> {
    return this.waitUntil(caller, id, timeoutSeconds, 'settled');
  }

  /** `wait` for `settled` (terminal, or gate-mode approved), or for `moved` (no longer pending approval: a held call's wait). */
  private async waitUntil(caller: Principal, id: string, timeoutSeconds: number, kind: WatchKind): Promise<Action> {
    const done = WATCH_UNTIL[kind];
    const key = `${kind}:${id}`;
    const until = Date.now() + timeoutSeconds * 1000;
    // Who may wait is read from the recorded action (no Query to the workflow); the watch answers from the workflow.
    let recorded = await this.recorded(id);
    if (!recorded) recorded = await this.get(caller, id); // its first step not written yet: asked of the workflow
    else if (!canRead(caller, recorded)) throw mayNotRead(caller, id);
    // A recorded terminal status is final: the answer, without reading it again (find() would return this same row).
    else if (isTerminal(recorded.status)) return this.shown(caller, recorded);
    if (done(recorded) || timeoutSeconds <= 0) return this.get(caller, id);
    let timer: NodeJS.Timeout | undefined;
    let expired = false;
    const timedOut = new Promise<null>((r) => (timer = setTimeout(() => ((expired = true), r(null)), Math.max(0, until - Date.now()))));
    try {
      for (;;) {
        let watch = this.watches.get(key);
        if (!watch) {
          const w: Watch = { waiters: 0, settled: Promise.resolve(null) };
          w.settled = this.watch(id, w, done)
            .catch(() => null)
            .finally(() => this.watches.get(key) === w && this.watches.delete(key));
          this.watches.set(key, (watch = w));
        }
        watch.waiters++;
        const settled = await Promise.race([watch.settled, timedOut]).finally(() => watch.waiters--);
        if (settled) return this.shown(caller, settled);
        // Out of time, shutting down, or the watch ended as this waiter joined it: the action as it is, or watch again.
        if (expired || this.closing.signal.aborted) return this.get(caller, id);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Ends the watches: in-flight rounds are cancelled, their waiters answered with the action as it is. */
  close(): void {
    this.closing.abort();
    void this.changes.close();
  }

  /** The action as the trail last recorded it (the projection), or null before its first step is written. */
  private async recorded(id: string): Promise<Action | null> {
    const [row] = await this.db.select({ snapshot: actionsTable.snapshot }).from(actionsTable).where(eq(actionsTable.id, id));
    return row ? (row.snapshot as unknown as Action) : null;
  }

  /**
   * Watches while a waiter wants it; the settled action, or null once nobody waits. Wakes on the action's recorded
   * changes (the projection's NOTIFY, one LISTEN for the process): no Query, no Update, no workflow task, so any
   * number of waiters cost the workflow nothing and never take the Update slots votes need. A pause without a
   * notification asks the workflow too, in case its last step could not be recorded.
   */
  private async watch(id: string, w: Watch, done: (a: Action) => boolean): Promise<Action | null> {
    const sub = await this.changes.subscribe(id);
    try {
      let why: 'changed' | 'pause' = 'changed';
      let asked = Date.now();
      do {
        if (this.closing.signal.aborted) return null;
        // The workflow is asked at most every 30 s of silence (not every second while the LISTEN connection is down).
        const ask = why === 'pause' && Date.now() - asked >= ASK_WORKFLOW_AFTER_MS;
        if (ask) asked = Date.now();
        const action = ask ? await this.find(id).catch(() => null) : await this.recorded(id).catch(() => null);
        if (action && done(action)) return action;
        why = await sub.next(60_000); // close() wakes every subscription (no listener per watch on one shared signal)
      } while (w.waiters > 0);
      return null;
    } finally {
      sub.end();
    }
  }

  async list(caller: Principal, f: ListFilter): Promise<{ items: Action[]; nextCursor: string | null }> {
    const where: SQL[] = [];
    if (!isAuditor(caller)) {
      // The same actions `get` lets the caller read: its own, those made on its behalf, those it may decide.
      where.push(or(eq(actionsTable.requester, caller.id), eq(actionsTable.onBehalfOf, caller.id), arrayContains(actionsTable.approverPrincipals, [caller.id]), caller.groups.length ? arrayOverlaps(actionsTable.approverGroups, caller.groups) : undefined)!);
    }
    if (f.status) where.push(eq(actionsTable.status, f.status));
    if (f.action) where.push(eq(actionsTable.action, f.action));
    if (f.requester) where.push(eq(actionsTable.requester, canonicalIdentity(f.requester)));
    if (f.cursor) {
      const [at, id] = decodeCursor(f.cursor);
      where.push(or(lt(actionsTable.createdAt, at), and(eq(actionsTable.createdAt, at), lt(actionsTable.id, id)))!);
    }
    const limit = f.limit ?? 50;
    const rows = await this.db.select({ snapshot: actionsTable.snapshot, createdAt: actionsTable.createdAt, id: actionsTable.id }).from(actionsTable).where(and(...where)).orderBy(desc(actionsTable.createdAt), desc(actionsTable.id)).limit(limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const items = await Promise.all(page.map((r) => this.shown(caller, r.snapshot as unknown as Action)));
    return { items, nextCursor: rows.length > limit && last ? encodeCursor(new Date(last.createdAt).toISOString(), last.id) : null };
  }

  /** A vote through the workflow's Update (and its validator), from any door; `via` names the door. Counted here, once. */
  async decide(caller: Principal, id: string, decision: 'approve' | 'deny', comment: string | null, via: string, authTime: string | null = null): Promise<Action> { // the channel's name: api, slack, later teams, console
    try {
      // A gateway call held for this action anywhere: if this vote approves, the approval's step redeems for it.
      const claim = decision === 'approve' ? await this.liveClaim(id) : null;
      const action = await this.update(id, () =>
        // Its e-mail and Slack id too, so an action recorded on behalf of either spelling still refuses this voter.
        this.temporal.workflow.getHandle(id).executeUpdate(decideUpdate, { args: [{ principal: { id: caller.id, kind: caller.kind, groups: caller.groups, email: caller.email, slack: caller.slack }, decision, comment, via, authTime, ...(claim ? { claim } : {}) }] }),
      );
      this.services.metrics.votes.inc({ via, result: 'accepted' });
      return this.shown(caller, action);
    } catch (err) {
      this.services.metrics.votes.inc({ via, result: 'refused' });
      throw err;
    }
  }

  /** The claim a gateway process holds on the action, while its lease runs; null otherwise (or unreadable). */
  private async liveClaim(id: string): Promise<{ claimId: string; principal: string; paramsHash: string; until: string } | null> {
    let row: typeof gatewayClaims.$inferSelect | undefined;
    try {
      [row] = await this.db.select().from(gatewayClaims).where(eq(gatewayClaims.actionId, id));
    } catch {
      return null; // unreadable: the vote goes on without a claim (the held call then redeems as any caller does)
    }
    if (!row || !(Date.parse(row.until) > Date.now())) return null;
    return { claimId: row.claimId, principal: row.principal, paramsHash: row.paramsHash, until: new Date(row.until).toISOString() };
  }

  /**
   * The in-process MCP gateway's hold: waits up to `ms` for the gate-mode action like `wait`, and while it is pending
   * keeps a claim on it (`grant_claims`, a lease a little longer than the wait) for these `params`, so the vote that
   * approves it redeems its grant for this process in the approval's own step. `mine` says that the redemption is
   * this call's to run (once per process: other local calls see it taken, other processes see another claim).
   * Params other than the action's, someone else's action, or an executed action: no claim, a plain wait.
   */
  async holdForApproval(caller: Principal, id: string, params: Record<string, unknown>, ms: number, signal?: AbortSignal): Promise<{ action: Action; mine: boolean }> {
    this.sweepClaims();
    const recorded = await this.recorded(id);
    const hash = paramsHash(params);
    const requester = !!recorded && recorded.execute.type === 'none' && sameIdentity(recorded.requester, caller.id) && hash === paramsHash(recorded.params ?? {});
    let held = requester ? this.claims.get(id) : undefined;
    if (requester && recorded!.status === 'pending_approval') {
      const until = Date.now() + ms + CLAIM_MARGIN_MS;
      if (!held || held.taken) this.claims.set(id, (held = { claimId: `clm_${ulid()}`, until: 0, taken: false, holders: 0, releasedAt: null }));
      if (held.until < until || held.releasedAt !== null) {
        held.until = until;
        held.releasedAt = null;
        const row = { actionId: id, claimId: held.claimId, principal: caller.id, paramsHash: hash, until: new Date(until).toISOString() };
        await this.db.insert(gatewayClaims).values(row).onConflictDoUpdate({ target: gatewayClaims.actionId, set: row });
      }
    }
    if (!held) return { action: await this.waitUntil(caller, id, ms / 1000, 'moved'), mine: false };
    held.holders++;
    let action: Action | null;
    try {
      action = await untilAborted(this.waitUntil(caller, id, ms / 1000, 'moved'), signal);
    } finally {
      held.holders--;
      // No call holds it any more: withdrawn at once, so no later vote redeems for a call that is not there.
      if (held.holders === 0) await this.releaseClaim(id, held);
    }
    // The call is gone: nothing runs for it now. A redemption a vote made for its claim meanwhile waits for the
    // agent's repeated call (the claim is remembered for CLAIM_GRACE_MS), like one that read a withdrawn claim.
    if (action === null) return { action: (await this.recorded(id)) ?? (await this.get(caller, id)), mine: false };
    // Redeemed for this claim (by a vote just now, or by one that read the claim just before it was withdrawn): one
    // call of this process runs it, once. The claim id is in the recorded grant, never in what the API shows.
    const now = await this.recorded(id);
    const mine = !held.taken && now?.status === 'executing' && !!now.grant?.claim && now.grant.claim === held.claimId;
    if (mine) held.taken = true;
    return { action, mine };
  }

  /** Withdraws this process's claim from `grant_claims` (the entry stays a little while: see `sweepClaims`). */
  private async releaseClaim(id: string, held: HeldClaim): Promise<void> {
    held.releasedAt = Date.now();
    await this.db.delete(gatewayClaims).where(and(eq(gatewayClaims.actionId, id), eq(gatewayClaims.claimId, held.claimId))).catch(() => undefined);
  }

  /**
   * Forgets withdrawn claims after a grace period: a vote that read a claim just before it was withdrawn may still
   * redeem for it, and the call repeated meanwhile (the agent was told to call again) then finds and runs it.
   */
  private sweepClaims(): void {
    const now = Date.now();
    for (const [id, held] of this.claims) if (held.holders === 0 && held.releasedAt !== null && now - held.releasedAt > CLAIM_GRACE_MS) this.claims.delete(id);
  }

  async cancel(caller: Principal, id: string, reason: string | null): Promise<Action> {
    await this.get(caller, id);
    return this.shown(caller, await this.update(id, () => this.temporal.workflow.getHandle(id).executeUpdate(cancelUpdate, { args: [{ principal: caller.id, isAdmin: isAdmin(caller), reason }] })));
  }

  async reportResult(caller: Principal, id: string, status: 'succeeded' | 'failed', output: unknown): Promise<Action> {
    await this.get(caller, id);
    return this.shown(caller, await this.update(id, () => this.temporal.workflow.getHandle(id).executeUpdate(reportResultUpdate, { args: [{ principal: caller.id, status, output }] })));
  }

  /** Gate mode: the requester consumes the action's grant once, with the params it was approved for; the action is then `executing`. */
  async redeemGrant(caller: Principal, token: string, params: Record<string, unknown>): Promise<Action> {
    const action = await redeemGrant(
      {
        services: this.services,
        find: (id) => this.find(id),
        redeem: (id, input) => this.update(id, () => this.temporal.workflow.getHandle(id).executeUpdate(redeemGrantUpdate, { args: [input] })),
      },
      caller,
      token,
      params,
    );
    return this.shown(caller, action);
  }

  /** The action's audit events, in order, for a caller who may read the action. */
  async actionAudit(caller: Principal, id: string): Promise<AuditEvent[]> {
    await this.get(caller, id);
    return actionAuditEvents(this.db, id);
  }

  /**
   * Dry run: the decision this submission would get as `caller`, why each earlier rule did not match, and every
   * problem a real submission would be refused for. Starts nothing and records nothing.
   */
  evaluate(caller: Principal, body: Submission) {
    const principals = this.services.principals.current();
    const submission = normaliseSubmission(body, principals);
    const policy = this.services.policy.current();
    const executor = executorFor(submission.execute.type);
    const targets = this.services.targets.current();
    const executeTarget = executor.locate?.(submission.execute, targets) ?? undefined;
    const { decision, trace } = policy.explain(policyInputFor({ submission, requester: caller, submittedAt: new Date().toISOString(), executeTarget }));
    const unknown = unknownOnBehalfOf(principals, body.onBehalfOf);
    const refused = executor.check(submission.execute, { config: this.services.config, targets });
    const problems = [...oversizedParts(body), ...(unknown ? [unknown] : []), ...refused, ...validateSubmission(decision, submission)];
    return { decision, trace, problems, policyVersion: policy.version };
  }

  private async update(id: string, send: () => Promise<Action>): Promise<Action> {
    try {
      // Bounded: with no worker to take it, an Update would wait for ever; the caller gets 503 and retries instead.
      return await this.temporal.withDeadline(Date.now() + UPDATE_DEADLINE_MS, send);
    } catch (err) {
      const refused = updateError(err);
      if (refused) throw refused;
      // The workflow is gone or closed: the recorded action says which.
      const known = await this.find(id);
      if (!known) throw notFound(`action ${id}`);
      throw new InterlockError(ErrorCode.actionClosed, `action ${id} is ${known.status} and closed to this request`);
    }
  }
}


/** A known action the caller may not read: who may, and nothing of the action. */
function mayNotRead(caller: Principal, id: string): InterlockError {
  return new InterlockError(ErrorCode.forbidden, `${caller.id} may not read action ${id}: only its requester, the person it acts for, its approvers and auditors may`);
}

function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ACTION_ID = /^act_[0-9A-Za-z]{1,64}$/;

function decodeCursor(cursor: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    // Exactly what encodeCursor writes: anything else would reach SQL as a value Postgres refuses (500).
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && ISO_INSTANT.test(v[0]) && Date.parse(v[0]) >= 0 && ACTION_ID.test(v[1])) return v as [string, string];
  } catch {
    /* fall through */
  }
  throw new InterlockError(ErrorCode.invalidRequest, 'cursor is not one this API issued', [{ field: 'cursor', message: 'invalid cursor' }]);
}

/** `work`'s answer, or null as soon as `signal` aborts (the work goes on unobserved and ends at its own timeout). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T | null> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve(null);
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = () => resolve(null);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The same Idempotency-Key with another body: refused, naming the action the key made. */
function keyReused(key: string, actionId: string): InterlockError {
  return new InterlockError(ErrorCode.idempotencyKeyReused, `Idempotency-Key "${key}" was already used with a different body (action ${actionId}); use a new key for a new action`, [{ field: 'Idempotency-Key', message: 'reused with a different body', actionId }]);
}

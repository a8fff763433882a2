import { ApplicationFailure, Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { Type, type Static } from 'typebox';
import { Agent, fetch } from 'undici';
import { ErrorCode } from '../core/errors';
import type { Db } from '../db';
import { httpExecutions } from '../db/schema';
import type { ActionResult } from '../domain/action';
import { redactSecretParams, secretKeyPaths } from '../domain/secret-params';
import { checkTarget, guardedLookup, headerProblems, systemResolve, targetKey, TargetRefusedError, type PrivateAllowList, type Resolve, type TargetRefusal } from '../network';
import { placeHttp, resolveRefs, systemSources, UnresolvedReference, type HttpPlacement, type ReferenceSources, type TargetSource } from '../targets';
import { whileHeartbeating } from './heartbeat';
import type { ExecuteProblem, ExecutionPlan, Executor } from './types';

export const HttpExecuteSchema = Type.Object(
  {
    type: Type.Literal('http'),
    /** A target of targets.yaml; the request goes to its base URL plus `path`. */
    target: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    path: Type.Optional(Type.String({ maxLength: 2048 })),
    /** Instead of `target`: a full URL, accepted only under the base URL of an http target. */
    url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('DELETE')])),
    headers: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 4096 }))),
    body: Type.Optional(Type.Unknown()),
    /** At most the target's own timeout. */
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
  },
  { additionalProperties: false },
);
export type HttpExecute = Static<typeof HttpExecuteSchema>;

/** The Action's view of an http `execute`: as submitted, plus where it goes (the API works it out at submission). */
type HttpExecuteView = HttpExecute & { setByTarget?: string[] };

/** One signed HTTP call to a target of targets.yaml, which adds its credentials at send time. */
export const httpExecutor: Executor<HttpExecute> = {
  type: 'http',
  schema: HttpExecuteSchema,
  // Defaults (method POST, the target's timeout) are applied when sending, not here: the Action shows, and the
  // hash binds, the request as submitted (changing it would change every recorded executeHash).
  normalise: (execute) => execute,
  check: (execute, { config, targets }) => executeProblems(execute, placeHttp(execute, targets), config.httpAllowPrivate),
  locate: (execute, targets) => {
    const placed = placeHttp(execute, targets);
    if (!('target' in placed)) return null;
    return { target: placed.target.name, url: placed.url, setByTarget: Object.keys(placed.target.headers) };
  },
  describe: (execute: HttpExecuteView) => {
    const setByTarget = execute.setByTarget ?? [];
    const overridden = new Set(setByTarget.map((h) => h.toLowerCase()));
    const submitted = Object.entries(execute.headers ?? {}).filter(([k]) => !overridden.has(k.toLowerCase()));
    const headers = [...submitted.map(([k, v]) => `${k}: ${v}`), ...setByTarget.map((k) => `${k}: (set by target)`)];
    return {
      summary: `${execute.method ?? 'POST'} ${execute.url ?? execute.path ?? ''}${execute.target ? ` (target ${execute.target})` : ''}`,
      fields: [
        ...(execute.target ? [{ label: 'Target', value: execute.target }] : []),
        ...(headers.length > 0 ? [{ label: 'Headers', value: headers.join('\n') }] : []),
        ...(execute.timeoutSeconds ? [{ label: 'Timeout', value: `${execute.timeoutSeconds} s` }] : []),
        { label: 'Body', value: execute.body === undefined ? '(no body)' : JSON.stringify(redactSecretParams(execute.body), null, 2) },
      ],
    };
  },
  createActivity: ({ db, config, resolve, targets, references }) =>
    createExecuteHttp({ db, webhookSecret: config.webhookSecret, allowPrivate: config.httpAllowPrivate, resolve, targets, references }),
};

/** Checks an `execute` before anything is stored or started: where it goes, which headers it carries, and that its body holds no secret. */
function executeProblems(execute: HttpExecute, placed: ReturnType<typeof placeHttp>, allow: PrivateAllowList): ExecuteProblem[] {
  const problems: ExecuteProblem[] = [];
  if ('field' in placed) problems.push({ field: placed.field, ruleId: null, message: placed.message, code: ErrorCode.targetNotAllowed });
  else {
    const refusal = checkTarget(placed.url, allow, 'target');
    if (refusal) problems.push({ field: execute.url !== undefined ? 'execute.url' : 'execute.target', ruleId: null, message: refusal.message, code: ErrorCode.targetNotAllowed });
    if (execute.timeoutSeconds !== undefined && execute.timeoutSeconds > placed.target.timeoutSeconds) {
      problems.push({ field: 'execute.timeoutSeconds', ruleId: null, message: `${execute.timeoutSeconds} s is more than target "${placed.target.name}" allows (${placed.target.timeoutSeconds} s)`, code: ErrorCode.unprocessable });
    }
  }
  for (const h of headerProblems(execute.headers)) {
    problems.push({ field: h.field, ruleId: null, message: h.message, code: h.credential ? ErrorCode.credentialInRequest : ErrorCode.unprocessable });
  }
  // The body is sent as is, so unlike params it cannot be redacted: a secret-looking key in it is refused instead.
  for (const path of secretKeyPaths(execute.body)) {
    const message = `${path} looks like a credential; the body is sent as is and stored for ever, so credentials belong in server-side configuration, not in the request`;
    problems.push({ field: `execute.body.${path}`, ruleId: null, message, code: ErrorCode.credentialInRequest });
  }
  return problems;
}

/** Responses are kept for the record, not in full. */
export const MAX_OUTPUT_BYTES = 16 * 1024;
const SENDABLE_VALUE = /^[\x20-\x7e\t]*$/;
const REDACTED = '[redacted]';

export interface HttpExecutorDeps {
  db: Db;
  /** Standard Webhooks secret (`whsec_...`); without it the executor refuses to run. */
  webhookSecret: string | undefined;
  /** `host:port` pairs that may be called although loopback or link-local (INTERLOCK_HTTP_ALLOW_PRIVATE). */
  allowPrivate: PrivateAllowList;
  /** Host name resolution; the system resolver unless a test resolves names as a hostile DNS would. */
  resolve?: Resolve;
  /** The targets in force when the call is made. */
  targets: TargetSource;
  references?: ReferenceSources;
}

/**
 * Runs an approved action as one HTTP call to its target. Every attempt carries `Idempotency-Key: <action id>`
 * (and the same `webhook-id`), so a receiver that honours either applies the operation once however often this
 * activity is retried; a completed response is stored, so a retry after it is answered from the database.
 * The target's headers are resolved here, and only here; any of their values the response echoes is redacted
 * before the output is stored or returned. Network errors, timeouts, 429 and 5xx are retried by Temporal with
 * backoff; any other 4xx fails without retry. The host is resolved here and every address checked before the
 * socket connects to one of exactly those addresses, and redirects are never followed.
 */
/** How long a pooled connection to a target may sit idle before it is closed. */
const POOL_IDLE_MS = 4_000;

/** The guarded lookup's refusal, wherever the client put it in the failure's causes. */
function refusalIn(err: unknown): TargetRefusal | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof TargetRefusedError) return e.refusal;
  }
  return null;
}

export function createExecuteHttp({ db, webhookSecret, allowPrivate, resolve = systemResolve, targets, references = systemSources }: HttpExecutorDeps) {
  // Two pools for the worker's life, so calls to a target reuse its connections (a new TCP connection per call showed
  // in the worker's profile). The guarded one checks every address a new connection resolves to;
  // a pooled connection is one that passed, to the same origin (a later DNS answer cannot move it). The open one
  // serves only host:port pairs allow-listed in INTERLOCK_HTTP_ALLOW_PRIVATE.
  const pools = {
    guarded: new Agent({ keepAliveTimeout: POOL_IDLE_MS, connect: { lookup: guardedLookup(resolve, () => undefined, 'target') } }),
    open: new Agent({ keepAliveTimeout: POOL_IDLE_MS }),
  };
  return async function executeHttp({ actionId, execute, plan }: { actionId: string; execute: HttpExecute; plan?: ExecutionPlan }): Promise<ActionResult> {
    const [done] = await db.select().from(httpExecutions).where(eq(httpExecutions.actionId, actionId));
    if (done) return outcome(done.httpStatus, done.output ?? '');
    if (!webhookSecret) throw ApplicationFailure.nonRetryable('INTERLOCK_WEBHOOK_SECRET is not set; the http executor only sends signed requests', 'ExecutorMisconfigured');
    // The targets in force now: a target removed or narrowed since submission fails the action unsent.
    const placed = placeHttp(execute, targets.current());
    if ('field' in placed) throw ApplicationFailure.nonRetryable(`not sent: ${placed.field}: ${placed.message}`, 'TargetNotAllowed');
    const literal = checkTarget(placed.url, allowPrivate, 'target');
    if (literal) throw targetNotAllowed(placed.url, literal);
    const { headers: fromTarget, secrets } = await targetHeaders(placed);
    const redact = redactor(secrets);

    const payload = execute.body === undefined ? '' : JSON.stringify(execute.body);
    const sentAt = new Date();
    const overridden = new Set(Object.keys(fromTarget).map((h) => h.toLowerCase()));
    const headers: Record<string, string> = {
      ...Object.fromEntries(Object.entries(execute.headers ?? {}).filter(([k]) => !overridden.has(k.toLowerCase()))),
      ...fromTarget,
      'content-type': 'application/json',
      'idempotency-key': actionId,
      'webhook-id': actionId,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(webhookSecret).sign(actionId, sentAt, payload),
      'user-agent': 'interlock/1',
    };
    const attempt = Context.current().info.attempt;
    // The target's timeout now, and never more than the plan the workflow runs this try on (its activity's timeout
    // comes from it): a timeout raised in targets.yaml since submission does not outlast the try it was given.
    const timeoutSeconds = Math.min(execute.timeoutSeconds ?? placed.target.timeoutSeconds, placed.target.timeoutSeconds, plan?.timeoutSeconds ?? Infinity);
    const allowed = allowPrivate.has(targetKey(new URL(placed.url)));
    const dispatcher = allowed ? pools.open : pools.guarded;
    // Heartbeating while the request is open, its answer's body included; the target's timeout and a cancel cut
    // either off (a target that sends its headers and then stalls is no answer within the timeout).
    const unreachable = (err: unknown) => {
      const refused = refusalIn(err);
      if (refused) return targetNotAllowed(placed.url, refused);
      // Whatever the client says, no credential goes into the failure (it is stored in the workflow history).
      const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutSeconds} s` : errorText(err);
      return ApplicationFailure.retryable(redact(`${placed.url} could not be reached (attempt ${attempt}): ${reason}`), 'HttpUnreachable');
    };
    const { response, answer } = await whileHeartbeating(timeoutSeconds * 1000, async (signal) => {
      const response = await fetch(placed.url, {
        method: execute.method ?? 'POST',
        headers,
        body: payload === '' && execute.method === 'DELETE' ? undefined : payload,
        signal,
        redirect: 'manual',
        dispatcher,
      }).catch((err: unknown) => {
        throw unreachable(err);
      });
      // Read a little past the limit, so a secret cut by it is still whole when redacted.
      const answer = await readBounded(response, MAX_OUTPUT_BYTES + Math.max(0, ...secrets.map((s) => Buffer.byteLength(s)))).catch((err: unknown) => {
        throw unreachable(signal.aborted ? signal.reason : err);
      });
      return { response, answer };
    });
    const output = truncate(redact(answer.text), answer.more);
    const details = { httpStatus: response.status, output };
    if (response.status === 429 || response.status >= 500) {
      throw ApplicationFailure.retryable(`${placed.url} answered HTTP ${response.status} (attempt ${attempt})`, 'HttpServerError', details);
    }
    await db.insert(httpExecutions).values({ actionId, httpStatus: response.status, output, attempts: attempt, completedAt: new Date().toISOString() }).onConflictDoNothing();
    if (response.status >= 300) {
      throw ApplicationFailure.nonRetryable(`${placed.url} answered HTTP ${response.status}; not retried`, 'HttpClientError', details);
    }
    return outcome(response.status, output);
  };

  /** The target's headers with their references resolved; a reference without a value fails the action unsent, naming it. */
  async function targetHeaders({ target }: HttpPlacement): Promise<{ headers: Record<string, string>; secrets: string[] }> {
    const headers: Record<string, string> = {};
    const secrets: string[] = [];
    for (const [name, template] of Object.entries(target.headers)) {
      let resolved;
      try {
        resolved = await resolveRefs(template, references);
      } catch (err) {
        if (!(err instanceof UnresolvedReference)) throw err;
        throw ApplicationFailure.nonRetryable(`not sent: target "${target.name}" header ${name}: ${err.message}`, 'TargetReferenceUnresolved');
      }
      if (!SENDABLE_VALUE.test(resolved.value)) {
        throw ApplicationFailure.nonRetryable(`not sent: target "${target.name}" header ${name}: a referenced value holds a line break or a character a header cannot carry`, 'TargetReferenceUnresolved');
      }
      headers[name] = resolved.value;
      secrets.push(resolved.value, ...resolved.secrets);
    }
    return { headers, secrets };
  }
}

/** Replaces every occurrence of each secret (longest first, so a value containing another goes whole). */
function redactor(secrets: string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length > 0))].sort((a, b) => b.length - a.length);
  return (text) => values.reduce((out, secret) => out.split(secret).join(REDACTED), text);
}

/** Reads at most `limit` bytes of the body and abandons the rest: a huge answer costs neither memory nor time. */
async function readBounded(response: Awaited<ReturnType<typeof fetch>>, limit: number): Promise<{ text: string; more: boolean }> {
  if (!response.body) return { text: '', more: false };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    chunks.push(Buffer.from(chunk));
    size += chunk.length;
    if (size > limit) {
      await response.body.cancel().catch(() => {});
      return { text: Buffer.concat(chunks).subarray(0, limit).toString(), more: true };
    }
  }
  return { text: Buffer.concat(chunks).toString(), more: false };
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}

/** The action fails without a retry: the target will not become allowed by asking again. */
function targetNotAllowed(url: string, refusal: TargetRefusal): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`not sent to ${url}: ${refusal.message}`, 'TargetNotAllowed');
}

function outcome(httpStatus: number, output: string): ActionResult {
  if (httpStatus >= 300) throw ApplicationFailure.nonRetryable(`the operation answered HTTP ${httpStatus}`, 'HttpClientError', { httpStatus, output });
  return { status: 'succeeded', httpStatus, output };
}

function truncate(text: string, more: boolean): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= MAX_OUTPUT_BYTES && !more) return text;
  const rest = more ? 'the rest of a longer answer' : `${bytes.length - MAX_OUTPUT_BYTES} bytes`;
  return `${bytes.subarray(0, MAX_OUTPUT_BYTES).toString()}… [truncated ${rest}]`;
}

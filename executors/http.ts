import { ApplicationFailure, Context } from '@temporalio/activity';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { Type, type Static } from 'typebox';
import { Agent, fetch } from 'undici';
import { ErrorCode } from '../core/errors';
import type { Db } from '../db';
import { httpExecutions } from '../db/schema';
import type { ActionResult } from '../domain/action';
import { secretKeyPaths } from '../domain/secret-params';
import { checkTarget, guardedLookup, headerProblems, systemResolve, targetKey, type PrivateAllowList, type Resolve, type TargetRefusal } from '../network';
import { whileHeartbeating } from './heartbeat';
import type { ExecuteProblem, Executor } from './types';
import { redactSecretParams } from '../domain/secret-params';

export const HttpExecuteSchema = Type.Object(
  {
    type: Type.Literal('http'),
    url: Type.String({ format: 'uri', maxLength: 2048, pattern: '^https?://' }),
    method: Type.Optional(Type.Union([Type.Literal('POST'), Type.Literal('PUT'), Type.Literal('PATCH'), Type.Literal('DELETE')])),
    headers: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 4096 }))),
    body: Type.Optional(Type.Unknown()),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
  },
  { additionalProperties: false },
);
export type HttpExecute = Static<typeof HttpExecuteSchema>;

/** One signed HTTP call, to a public address (or an allow-listed private one), with no credential in the submission. */
export const httpExecutor: Executor<HttpExecute> = {
  type: 'http',
  schema: HttpExecuteSchema,
  // Defaults (method POST, 30 s) are applied when sending, not here: the Action shows, and the hash binds, the
  // request as submitted, as before the executor seam (changing it would change every recorded executeHash).
  normalise: (execute) => execute,
  check: (execute, { config }) => executeProblems(execute, config.httpAllowPrivate),
  describe: (execute) => ({
    summary: `${execute.method ?? 'POST'} ${execute.url}`,
    fields: [
      ...(execute.headers ? [{ label: 'Headers', value: Object.entries(execute.headers).map(([k, v]) => `${k}: ${v}`).join('\n') }] : []),
      ...(execute.timeoutSeconds ? [{ label: 'Timeout', value: `${execute.timeoutSeconds} s` }] : []),
      { label: 'Body', value: execute.body === undefined ? '(no body)' : JSON.stringify(redactSecretParams(execute.body), null, 2) },
    ],
  }),
  createActivity: ({ db, config, resolve }) => createExecuteHttp({ db, webhookSecret: config.webhookSecret, allowPrivate: config.httpAllowPrivate, resolve }),
};

/** Checks an `execute` before anything is stored or started: where it goes, which headers it carries, and that its body holds no secret. */
function executeProblems(execute: HttpExecute, allow: PrivateAllowList): ExecuteProblem[] {
  const problems: ExecuteProblem[] = [];
  const refusal = checkTarget(execute.url, allow);
  if (refusal) problems.push({ field: 'execute.url', ruleId: null, message: refusal.message, code: ErrorCode.targetNotAllowed });
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

export interface HttpExecutorDeps {
  db: Db;
  /** Standard Webhooks secret (`whsec_...`); without it the executor refuses to run. */
  webhookSecret: string | undefined;
  /** `host:port` pairs that may be called although private or loopback (INTERLOCK_HTTP_ALLOW_PRIVATE). */
  allowPrivate: PrivateAllowList;
  /** Host name resolution; the system resolver unless a test resolves names as a hostile DNS would. */
  resolve?: Resolve;
}

/**
 * Runs an approved action as one HTTP call. Every attempt carries `Idempotency-Key: <action id>` (and the
 * same `webhook-id`), so a receiver that honours either applies the operation once however often this
 * activity is retried; a completed response is stored, so a retry after it is answered from the database.
 * Network errors, 429 and 5xx are retried by Temporal with backoff; any other 4xx fails without retry.
 * The host is resolved here and every address checked before the socket connects to one of exactly those
 * addresses; a non-public one (unless allow-listed) fails the action unsent, and redirects are never followed.
 */
export function createExecuteHttp({ db, webhookSecret, allowPrivate, resolve = systemResolve }: HttpExecutorDeps) {
  return async function executeHttp({ actionId, execute }: { actionId: string; execute: HttpExecute }): Promise<ActionResult> {
    const [done] = await db.select().from(httpExecutions).where(eq(httpExecutions.actionId, actionId));
    if (done) return outcome(done.httpStatus, done.output ?? '');
    if (!webhookSecret) throw ApplicationFailure.nonRetryable('INTERLOCK_WEBHOOK_SECRET is not set; the http executor only sends signed requests', 'ExecutorMisconfigured');
    const literal = checkTarget(execute.url, allowPrivate);
    if (literal) throw targetNotAllowed(execute.url, literal);

    const payload = execute.body === undefined ? '' : JSON.stringify(execute.body);
    const sentAt = new Date();
    const headers: Record<string, string> = {
      ...(execute.headers ?? {}),
      'content-type': 'application/json',
      'idempotency-key': actionId,
      'webhook-id': actionId,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': new Webhook(webhookSecret).sign(actionId, sentAt, payload),
      'user-agent': 'interlock/1',
    };
    const attempt = Context.current().info.attempt;
    let refused: TargetRefusal | null = null;
    const allowed = allowPrivate.has(targetKey(new URL(execute.url)));
    // One agent per call: its lookup knows whether this host:port is allow-listed, and no connection outlives the call.
    const dispatcher = new Agent({ connect: allowed ? {} : { lookup: guardedLookup(resolve, (r) => (refused = r)) } });
    try {
      const sending = fetch(execute.url, {
        method: execute.method ?? 'POST',
        headers,
        body: payload === '' && execute.method === 'DELETE' ? undefined : payload,
        signal: AbortSignal.timeout((execute.timeoutSeconds ?? 30) * 1000),
        redirect: 'manual',
        dispatcher,
      }).catch((err: unknown) => {
        if (refused) throw targetNotAllowed(execute.url, refused);
        throw err;
      });
      const { response, text } = await whileHeartbeating(sending.then(async (r) => ({ response: r, text: await r.text() })));
      const output = truncate(text);
      const details = { httpStatus: response.status, output };
      if (response.status === 429 || response.status >= 500) {
        throw ApplicationFailure.retryable(`${execute.url} answered HTTP ${response.status} (attempt ${attempt})`, 'HttpServerError', details);
      }
      await db.insert(httpExecutions).values({ actionId, httpStatus: response.status, output, attempts: attempt, completedAt: new Date().toISOString() }).onConflictDoNothing();
      if (response.status >= 300) {
        throw ApplicationFailure.nonRetryable(`${execute.url} answered HTTP ${response.status}; not retried`, 'HttpClientError', details);
      }
      return outcome(response.status, output);
    } finally {
      await dispatcher.destroy(); // the body is read by now; nothing is left to wait for
    }
  };
}

/** The action fails without a retry: the target will not become allowed by asking again. */
function targetNotAllowed(url: string, refusal: TargetRefusal): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`not sent to ${url}: ${refusal.message}`, 'TargetNotAllowed');
}

function outcome(httpStatus: number, output: string): ActionResult {
  if (httpStatus >= 300) throw ApplicationFailure.nonRetryable(`the operation answered HTTP ${httpStatus}`, 'HttpClientError', { httpStatus, output });
  return { status: 'succeeded', httpStatus, output };
}

function truncate(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length <= MAX_OUTPUT_BYTES ? text : `${bytes.subarray(0, MAX_OUTPUT_BYTES).toString()}… [truncated ${bytes.length - MAX_OUTPUT_BYTES} bytes]`;
}

import { Type } from 'typebox';
import { Value } from 'typebox/value';

const Id = Type.String({ minLength: 1, maxLength: 255 });
const User = Type.Object({ id: Id });

/** The fields of a `block_actions` click Interlock reads; Slack sends many more, which are allowed and ignored. */
const BlockActions = Type.Object({
  type: Type.Literal('block_actions'),
  user: User,
  actions: Type.Array(Type.Object({ action_id: Id, value: Type.Optional(Type.String({ maxLength: 2000 })), action_ts: Type.Optional(Type.String({ maxLength: 64 })) }), { minItems: 1 }),
  trigger_id: Type.Optional(Type.String({ maxLength: 255 })),
  channel: Type.Optional(Type.Object({ id: Id })),
});

/** The fields of a `view_submission` (the reason form) Interlock reads. */
const ViewSubmission = Type.Object({
  type: Type.Literal('view_submission'),
  user: User,
  view: Type.Object({ id: Id, callback_id: Type.Optional(Type.String({ maxLength: 255 })), private_metadata: Type.Optional(Type.String({ maxLength: 3000 })), state: Type.Object({ values: Type.Record(Type.String(), Type.Unknown()) }) }),
});

const SCHEMAS: Record<string, typeof BlockActions | typeof ViewSubmission> = { block_actions: BlockActions, view_submission: ViewSubmission };

/**
 * Why a signed Slack request cannot be handled, or null when it can. Signed only proves it came from Slack (or
 * whoever holds the secret): the shape is checked before any listener reads `user.id` or `actions[0]`.
 */
export function slackPayloadProblem(body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the Slack request body (or its payload field) is not a JSON object';
  const schema = SCHEMAS[String((body as { type?: unknown }).type)];
  if (!schema) return null; // url_verification, ssl_check and events are answered or ignored without reading user fields
  const first = Value.Errors(schema, body)[0];
  if (!first) return null;
  const at = first.instancePath.replace(/^\//, '').replace(/\//g, '.') || 'payload';
  return `${(body as { type: string }).type} payload: ${at} ${first.message}`;
}

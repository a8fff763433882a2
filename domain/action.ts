import { Type, type Static } from 'typebox';
import { ExecuteSchema, ExecuteTypeSchema } from '../executors/registry';

const Text = (max: number, extra: object = {}) => Type.String({ minLength: 1, maxLength: max, ...extra });
const Json = Type.Record(Type.String(), Type.Unknown());

// The executors bring their own `execute` schemas (executors/registry.ts); they import only types from domain/, so
// composing their union here makes no cycle at run time, and an executor is added without touching this file.
export { ExecuteSchema, type Execute } from '../executors/registry';
export type { HttpExecute } from '../executors/http';

/** The body of `POST /v1/actions`. The requester is never part of it: it is the token's principal. */
export const SubmissionSchema = Type.Object(
  {
    action: Text(200, { pattern: '^[A-Za-z0-9_.:/-]+$' }),
    resource: Text(2048),
    environment: Type.Optional(Text(100, { pattern: '^[A-Za-z0-9_.-]+$' })),
    params: Type.Optional(Json),
    justification: Type.Optional(Type.String({ maxLength: 4000 })),
    onBehalfOf: Type.Optional(Type.Union([Text(320), Type.Null()])),
    context: Type.Optional(Json),
    execute: Type.Optional(ExecuteSchema),
    breakGlass: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type Submission = Static<typeof SubmissionSchema>;

export const ApproverSetSchema = Type.Object({ groups: Type.Array(Type.String()), principals: Type.Array(Type.String()) });

export const PublicDecisionSchema = Type.Object({
  outcome: Type.Union([Type.Literal('allow'), Type.Literal('deny'), Type.Literal('require_approval')]),
  ruleId: Type.Union([Type.String(), Type.Null()]),
  policyVersion: Type.String(),
  approvers: ApproverSetSchema,
  quorum: Type.Integer(),
  distinctGroups: Type.Boolean(),
  escalationLevel: Type.Integer(),
  escalation: Type.Array(Type.Object({ afterSeconds: Type.Number(), groups: Type.Array(Type.String()), principals: Type.Array(Type.String()) })),
  expiresAt: Type.Union([Type.String(), Type.Null()]),
  risk: Type.Union([Type.String(), Type.Null()]),
  controls: Type.Array(Type.String()),
  reason: Type.String(),
  breakGlass: Type.Boolean(),
  requireJustification: Type.Boolean(),
  /** Where each channel announces it: channel name (`slack`) -> target (`#prod-approvals`). Absent in actions recorded before it. */
  notify: Type.Optional(Type.Record(Type.String(), Type.String())),
  /** Actions recorded before `notify` carry their Slack channel here; nothing new writes it. */
  slackChannel: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** http actions: `sha256:` hex of the RFC 8785 canonical `execute` object, so the approved request is bound. */
  executeHash: Type.Optional(Type.String({ pattern: '^sha256:[0-9a-f]{64}$' })),
  /** The rule's `step_up`: approvals need a sign-in to the IdP at most `maxAgeSeconds` old (the console asks for one). */
  stepUp: Type.Optional(Type.Object({ maxAgeSeconds: Type.Number() })),
});
export type PublicDecision = Static<typeof PublicDecisionSchema>;

export const VoteSchema = Type.Object({
  principal: Type.String(),
  decision: Type.Union([Type.Literal('approve'), Type.Literal('deny')]),
  comment: Type.Union([Type.String(), Type.Null()]),
  at: Type.String(),
  /** The channel the vote came through: `api`, `slack`, later `teams`, `console`. */
  via: Type.String(),
  group: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** When the voter last signed in to the IdP, for votes that carried it (step-up rules need it). */
  authTime: Type.Optional(Type.String()),
});
export type Vote = Static<typeof VoteSchema>;

export const ResultSchema = Type.Object({
  status: Type.Union([Type.Literal('succeeded'), Type.Literal('failed')]),
  httpStatus: Type.Optional(Type.Integer()),
  output: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  reportedBy: Type.Optional(Type.String()),
});
export type ActionResult = Static<typeof ResultSchema>;

/**
 * A gate-mode approval's grant. `token` is added on read, for the requester only; `jti` and `issuedAt` are what the
 * workflow recorded to make it from (kept in its state and the projection, never shown by the API).
 */
export const GrantSchema = Type.Object({
  token: Type.Optional(Type.String({ description: 'compact JWS (EdDSA); present for the requester only' })),
  expiresAt: Type.String(),
  redeemedAt: Type.Union([Type.String(), Type.Null()]),
  jti: Type.Optional(Type.String()),
  issuedAt: Type.Optional(Type.String()),
  /** The held gateway call the approving vote redeemed it for (`grant_claims`), when one did. */
  claim: Type.Optional(Type.String()),
});
export type Grant = Static<typeof GrantSchema>;

/** The grant as the API shows it: never the facts it is made from. */
export const GrantViewSchema = Type.Object({
  token: Type.Optional(Type.String({ description: 'compact JWS (EdDSA); present for the requester only' })),
  expiresAt: Type.String(),
  redeemedAt: Type.Union([Type.String(), Type.Null()]),
});

const actionProperties = {
  id: Type.String(),
  action: Type.String(),
  resource: Type.String(),
  environment: Type.String(),
  params: Json,
  justification: Type.Union([Type.String(), Type.Null()]),
  requester: Type.String(),
  onBehalfOf: Type.Union([Type.String(), Type.Null()]),
  context: Json,
  // What the executor will send, as approvers see it; `body` is absent in snapshots from before it was shown.
  // The http fields are named; another executor's own fields are shown as they are (additionalProperties).
  execute: Type.Object({ type: ExecuteTypeSchema, url: Type.Optional(Type.String()), method: Type.Optional(Type.String()), body: Type.Optional(Type.Unknown()), headers: Type.Optional(Type.Record(Type.String(), Type.String())), timeoutSeconds: Type.Optional(Type.Integer()) }, { additionalProperties: true }),
  breakGlass: Type.Boolean(),
  status: Type.Union([
    Type.Literal('evaluating'), Type.Literal('pending_approval'), Type.Literal('approved'), Type.Literal('executing'), Type.Literal('succeeded'),
    Type.Literal('failed'), Type.Literal('denied'), Type.Literal('expired'), Type.Literal('cancelled'),
  ]),
  decision: Type.Union([PublicDecisionSchema, Type.Null()]),
  approvals: Type.Array(VoteSchema),
  result: Type.Union([ResultSchema, Type.Null()]),
  statusReason: Type.Union([Type.String(), Type.Null()]),
  grantExpiresAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  links: Type.Optional(Type.Object({ self: Type.String(), temporalUi: Type.String() })),
};

/** The Action as the workflow owns it (its state, the projection); the API adds `links`. */
export const ActionSchema = Type.Object({
  ...actionProperties,
  /** Gate mode, once approved (absent in actions recorded before grants were signed). */
  grant: Type.Optional(Type.Union([GrantSchema, Type.Null()])),
});
export type Action = Static<typeof ActionSchema>;

/** The Action object every GET returns: its grant as the caller may see it. */
export const ActionViewSchema = Type.Object({
  ...actionProperties,
  grant: Type.Optional(Type.Union([GrantViewSchema, Type.Null()], { description: 'gate mode, once approved: `token` for the requester only' })),
});

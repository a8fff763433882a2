import { sql } from 'drizzle-orm';
import { bigint, index, integer, json, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * The audit trail. Append-only in the database itself (trigger in migration 0001, kept by 0005); `seq` is the
 * one total order the hash chain follows, assigned by the writer under an advisory lock, so it has no gaps.
 *
 * A row stores the event once: `canonical`, the RFC 8785 text the chain hashes (after `prevHash` and a
 * newline). The fields queries filter on are columns Postgres generates from that text (migration 0005):
 * none can be written or updated on its own, even by a superuser with the triggers off, so the verifier,
 * which hashes `canonical`, covers everything a row says (docs/audit.md). `data` and `policyVersion` are
 * read from the text itself (`auditEventData`), not stored twice.
 */
export const auditEvents = pgTable(
  'audit_events',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    /** `json`, not `jsonb`: Postgres keeps json text exactly as written, the bytes the writer hashed. */
    canonical: json('canonical').$type<CanonicalEvent>().notNull(),
    prevHash: text('prev_hash').notNull(),
    /** The chain hash, computed by Postgres from the two columns before it (migration 0005), so it cannot disagree with them. */
    hash: text('hash').notNull().generatedAlwaysAs(sql`interlock_audit_link_hash(prev_hash, canonical)`),
    id: text('id').notNull().unique().generatedAlwaysAs(sql`(canonical ->> 'id')`),
    actionId: text('action_id').generatedAlwaysAs(sql`(canonical ->> 'actionId')`),
    type: text('type').notNull().generatedAlwaysAs(sql`(canonical ->> 'type')`),
    actor: text('actor').notNull().generatedAlwaysAs(sql`(canonical ->> 'actor')`),
    at: timestamp('at', { withTimezone: true, mode: 'string', precision: 3 }).notNull().generatedAlwaysAs(sql`interlock_audit_instant(canonical ->> 'at')`),
  },
  (t) => [index('audit_events_action_idx').on(t.actionId, t.seq), index('audit_events_type_idx').on(t.type, t.seq), index('audit_events_actor_idx').on(t.actor, t.seq), index('audit_events_at_idx').on(t.at)],
);

/** What `canonical` holds: the event's hashed fields (audit/trail/chain.ts). */
export interface CanonicalEvent {
  seq: number;
  id: string;
  actionId: string | null;
  type: string;
  actor: string;
  at: string;
  data: Record<string, unknown>;
  policyVersion: string | null;
}

/** An event's `data`, selected from its canonical text; drivers hand json over parsed or as text. */
export const auditEventData = sql<Record<string, unknown>>`(${auditEvents.canonical} -> 'data')`.mapWith((v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v) as Record<string, unknown>);

/** Signed heads of the chain, each naming the previous one (CloudTrail digest style). Append-only too. */
export const auditCheckpoints = pgTable('audit_checkpoints', {
  id: bigint('id', { mode: 'number' }).primaryKey(),
  seq: bigint('seq', { mode: 'number' }).notNull(),
  hash: text('hash').notNull(),
  at: timestamp('at', { withTimezone: true, mode: 'string', precision: 3 }).notNull(),
  prevCheckpointId: bigint('prev_checkpoint_id', { mode: 'number' }),
  prevSignature: text('prev_signature'),
  keyId: text('key_id').notNull(),
  signature: text('signature').notNull(),
});

/**
 * A projection of each action's latest state, for listing and filtering. The workflow stays the source of
 * truth; `version` only moves forward, so a late write never overwrites a newer one.
 */
export const actions = pgTable(
  'actions',
  {
    id: text('id').primaryKey(),
    action: text('action').notNull(),
    resource: text('resource').notNull(),
    environment: text('environment').notNull(),
    requester: text('requester').notNull(),
    onBehalfOf: text('on_behalf_of'),
    status: text('status').notNull(),
    risk: text('risk'),
    approverGroups: text('approver_groups').array().notNull().default([]),
    approverPrincipals: text('approver_principals').array().notNull().default([]),
    snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
    version: integer('version').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull(),
  },
  (t) => [index('actions_created_idx').on(t.createdAt, t.id), index('actions_requester_idx').on(t.requester, t.createdAt), index('actions_status_idx').on(t.status, t.createdAt)],
);

/** API tokens: only the SHA-256 of the secret is kept. */
export const apiTokens = pgTable('api_tokens', {
  id: text('id').primaryKey(),
  principalId: text('principal_id').notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  label: text('label'),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull().defaultNow(),
  revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'string', precision: 3 }),
  /** Null: no expiry. A token past it is refused like a revoked one. */
  expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'string', precision: 3 }),
  /** Updated at most once a minute per token, so a busy pipeline does not write on every request. */
  lastUsedAt: timestamp('last_used_at', { withTimezone: true, mode: 'string', precision: 3 }),
  /** Who created it: `cli` or the admin principal who called POST /v1/tokens. */
  createdBy: text('created_by'),
});

/** Submission idempotency: one key per principal maps to one action, for one body. */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    principalId: text('principal_id').notNull(),
    key: text('key').notNull(),
    bodyHash: text('body_hash').notNull(),
    actionId: text('action_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.principalId, t.key] })],
);

/** The outcome of an http execution once known, so a retried activity returns it instead of calling again. */
export const httpExecutions = pgTable('http_executions', {
  actionId: text('action_id').primaryKey(),
  httpStatus: integer('http_status').notNull(),
  output: text('output'),
  attempts: integer('attempts').notNull(),
  completedAt: timestamp('completed_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull(),
});

/** Where an action's Slack request message lives, so later steps can update it. */
export const slackMessages = pgTable('slack_messages', {
  actionId: text('action_id').primaryKey(),
  channel: text('channel').notNull(),
  ts: text('ts').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull().defaultNow(),
});

/** Where each action's Teams card was posted (conversation and activity id), so every change updates that card in place. */
export const teamsCards = pgTable('teams_cards', {
  actionId: text('action_id').primaryKey(),
  conversationId: text('conversation_id').notNull(),
  activityId: text('activity_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull().defaultNow(),
});

/**
 * The grant signing key (its RFC 7638 kid) last seen signing, so a change of key is audited once as `key.rotated`
 * however many API processes start with it; `version` counts the changes and names their events.
 */
export const grantSigningKeys = pgTable('grant_signing_keys', {
  name: text('name').primaryKey(),
  kid: text('kid').notNull(),
  version: integer('version').notNull(),
  changedAt: timestamp('changed_at', { withTimezone: true, mode: 'string', precision: 3 }).notNull().defaultNow(),
});

/**
 * A gateway call held in an API process for a gate-mode action, ready to run it the moment it is approved: the vote
 * that reaches quorum carries the claim, and the workflow redeems the grant in the approval's own step for it
 * (requester and params hash checked again there). `until` is the lease: a claim of a process that died lapses.
 */
export const gatewayClaims = pgTable('grant_claims', {
  actionId: text('action_id').primaryKey(),
  claimId: text('claim_id').notNull(),
  principal: text('principal').notNull(),
  paramsHash: text('params_hash').notNull(),
  until: timestamp('until', { withTimezone: true, mode: 'string', precision: 3 }).notNull(),
});

export type AuditEventRow = typeof auditEvents.$inferSelect;
export type ActionRow = typeof actions.$inferSelect;
export type ApiTokenRow = typeof apiTokens.$inferSelect;
export type CheckpointRow = typeof auditCheckpoints.$inferSelect;

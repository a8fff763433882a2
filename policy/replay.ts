import { and, asc, eq, gt, gte, inArray, lt } from 'drizzle-orm';
import { auditEventData, auditEvents, type Db } from '../db';
import { AuditEventType, type PolicyDecision } from '../domain';
import { ReplayTally, type ReplayReport } from './replay-report';
import type { CompiledPolicy, PolicyInput } from './types';

export interface ReplayOptions {
  db: Db;
  candidate: CompiledPolicy;
  since: Date;
  until?: Date;
  examplesPerRule?: number;
  /** Submissions read per query; replay pages by seq so memory stays flat on big stores. */
  pageSize?: number;
}

interface SubmittedData {
  submission?: Partial<Omit<PolicyInput, 'execute'>> & { execute?: { type?: string; target?: string } } & Record<string, unknown>;
  requester?: PolicyInput['requester'];
  /** The target the API located at submission (absent before targets). */
  executeTarget?: { target?: string };
}

/** Re-decides recorded submissions with a candidate policy and reports what would change, before it ships. */
export async function replayPolicy(opts: ReplayOptions): Promise<ReplayReport> {
  const { db, candidate, since, until } = opts;
  const pageSize = opts.pageSize ?? 1000;
  const tally = new ReplayTally(opts.examplesPerRule ?? 3);
  for (let after = 0; ; ) {
    const page = await db
      .select({ seq: auditEvents.seq, actionId: auditEvents.actionId, at: auditEvents.at, data: auditEventData })
      .from(auditEvents)
      .where(and(eq(auditEvents.type, AuditEventType.actionSubmitted), gt(auditEvents.seq, after), gte(auditEvents.at, since.toISOString()), until ? lt(auditEvents.at, until.toISOString()) : undefined))
      .orderBy(asc(auditEvents.seq))
      .limit(pageSize);
    if (page.length === 0) break;
    after = page[page.length - 1].seq;
    const recorded = await recordedDecisions(db, page.map((row) => row.actionId).filter((id): id is string => id !== null));
    for (const row of page) {
      const old = row.actionId === null ? undefined : recorded.get(row.actionId);
      const input = toInput(row.data as SubmittedData, row.at);
      if (!old || !input) {
        tally.skip();
        continue;
      }
      tally.compare(row.actionId as string, old, candidate.evaluate(input));
    }
    if (page.length < pageSize) break;
  }
  return tally.report(candidate.version, since, until);
}

/** The first `policy.evaluated` decision of each action: the one the action was actually given. */
async function recordedDecisions(db: Db, actionIds: string[]): Promise<Map<string, PolicyDecision>> {
  const out = new Map<string, PolicyDecision>();
  if (actionIds.length === 0) return out;
  const rows = await db
    .select({ actionId: auditEvents.actionId, data: auditEventData })
    .from(auditEvents)
    .where(and(eq(auditEvents.type, AuditEventType.policyEvaluated), inArray(auditEvents.actionId, actionIds)))
    .orderBy(asc(auditEvents.seq));
  for (const row of rows) {
    const decision = (row.data as { decision?: PolicyDecision }).decision;
    if (row.actionId && decision && typeof decision.outcome === 'string' && !out.has(row.actionId)) out.set(row.actionId, decision);
  }
  return out;
}

function toInput(data: SubmittedData, at: string): PolicyInput | null {
  const s = data.submission;
  if (!s || typeof s.action !== 'string' || !data.requester) return null;
  return {
    action: s.action,
    resource: s.resource ?? '',
    environment: s.environment ?? '',
    params: s.params ?? {},
    context: s.context ?? {},
    requester: { id: data.requester.id, kind: data.requester.kind, groups: data.requester.groups ?? [] },
    onBehalfOf: s.onBehalfOf ?? null,
    justification: s.justification ?? null,
    breakGlass: s.breakGlass ?? false,
    execute: { type: s.execute?.type ?? 'none', target: data.executeTarget?.target ?? s.execute?.target ?? null },
    now: new Date(at), // Postgres's timestamptz text (`2026-01-31 09:00:00.123+00`) parses as it is
  };
}

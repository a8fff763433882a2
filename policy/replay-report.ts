import type { PolicyDecision } from '../domain';
import { sameApprovers } from './decisions';

/** How decisions that moved from one rule to another would change under the candidate. */
export interface ReplayChange {
  /** null = the default applied. */
  oldRuleId: string | null;
  newRuleId: string | null;
  changed: number;
  /** `"allow -> require_approval": 3`; only pairs whose outcome differs. */
  outcomes: Record<string, number>;
  quorumChanged: number;
  approversChanged: number;
  examples: string[];
}

export interface ReplayReport {
  candidateVersion: string;
  since: string;
  until: string | null;
  totals: { considered: number; unchanged: number; changed: number; skipped: number };
  /** Versions that made the recorded decisions, with how many each. */
  recordedVersions: Record<string, number>;
  /** Most changes first. */
  changes: ReplayChange[];
}

type Recorded = Pick<PolicyDecision, 'outcome' | 'ruleId' | 'quorum' | 'approvers' | 'policyVersion'>;

/** Accumulates comparisons one action at a time, so replay never holds the whole audit trail. */
export class ReplayTally {
  private readonly totals = { considered: 0, unchanged: 0, changed: 0, skipped: 0 };
  private readonly versions: Record<string, number> = {};
  private readonly pairs = new Map<string, ReplayChange>();

  constructor(private readonly examplesPerRule: number) {}

  skip(): void {
    this.totals.skipped++;
  }

  compare(actionId: string, old: Recorded, next: PolicyDecision): void {
    this.totals.considered++;
    this.versions[old.policyVersion] = (this.versions[old.policyVersion] ?? 0) + 1;
    const outcome = old.outcome !== next.outcome;
    const quorum = (old.quorum ?? 0) !== next.quorum;
    const approvers = !sameApprovers(old.approvers, next.approvers);
    if (!outcome && !quorum && !approvers) return void this.totals.unchanged++;
    this.totals.changed++;
    const key = JSON.stringify([old.ruleId, next.ruleId]);
    let pair = this.pairs.get(key);
    if (!pair) {
      pair = { oldRuleId: old.ruleId, newRuleId: next.ruleId, changed: 0, outcomes: {}, quorumChanged: 0, approversChanged: 0, examples: [] };
      this.pairs.set(key, pair);
    }
    pair.changed++;
    if (outcome) pair.outcomes[`${old.outcome} -> ${next.outcome}`] = (pair.outcomes[`${old.outcome} -> ${next.outcome}`] ?? 0) + 1;
    if (quorum) pair.quorumChanged++;
    if (approvers) pair.approversChanged++;
    if (pair.examples.length < this.examplesPerRule) pair.examples.push(actionId);
  }

  report(candidateVersion: string, since: Date, until: Date | undefined): ReplayReport {
    const changes = [...this.pairs.values()].sort((a, b) => b.changed - a.changed);
    return { candidateVersion, since: since.toISOString(), until: until?.toISOString() ?? null, totals: { ...this.totals }, recordedVersions: { ...this.versions }, changes };
  }
}

const ruleName = (id: string | null) => (id === null ? '(default)' : id);

/** The report for a person at a terminal or in a pull request comment. */
export function formatReplayReport(r: ReplayReport): string {
  const t = r.totals;
  const lines = [
    `Replay of ${r.candidateVersion} over submissions from ${r.since} to ${r.until ?? 'now'}`,
    `considered ${t.considered}, unchanged ${t.unchanged}, changed ${t.changed}, skipped ${t.skipped} (no recorded policy decision)`,
  ];
  if (r.changes.length === 0) lines.push(t.considered === 0 ? 'no submissions in this window' : 'no decision would change');
  for (const c of r.changes) {
    lines.push('', `${ruleName(c.oldRuleId)} -> ${ruleName(c.newRuleId)}: ${c.changed} changed`);
    for (const [move, n] of Object.entries(c.outcomes)) lines.push(`  outcome ${move}: ${n}`);
    if (c.quorumChanged) lines.push(`  quorum changed: ${c.quorumChanged}`);
    if (c.approversChanged) lines.push(`  approvers changed: ${c.approversChanged}`);
    lines.push(`  e.g. ${c.examples.join(', ')}`);
  }
  return lines.join('\n');
}

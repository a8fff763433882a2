import type { EvidenceSummary, Tally } from './evidence';
import type { TrailVerification } from '../verify';

export interface EvidenceReport {
  generatedAt: string;
  window: { from: string | null; to: string };
  format: string;
  eventsFile: string | null;
  summary: EvidenceSummary;
  verification: TrailVerification;
}

const LIST_LIMIT = 200;

/** The summary as an auditor reads it: one markdown page, the figures first, the exceptions listed. */
export function renderEvidenceReport(r: EvidenceReport): string {
  const s = r.summary;
  const v = r.verification;
  const cp = v.checkpoints.latest;
  const lines = [
    '# Interlock audit evidence',
    '',
    `Window: ${r.window.from ?? 'the first event'} to ${r.window.to} (event time). Generated ${r.generatedAt}.`,
    `Events: ${s.events}${s.firstSeq !== null ? ` (seq ${s.firstSeq} to ${s.lastSeq})` : ''}, ${r.eventsFile ? `in \`${r.eventsFile}\`` : 'written to standard output'} as ${r.format}.`,
    'Actions counted below are those submitted in the window; an outcome after the window ends counts as pending.',
    '',
    '## Integrity of the trail',
    '',
    v.ok ? `**Verified.** ${v.count} events from seq 1 recompute to head \`${v.head}\`; ${v.checkpoints.verified} signed checkpoint${v.checkpoints.verified === 1 ? '' : 's'} verify and match the chain.` : `**FAILED** at seq ${v.firstBad}: ${v.problem}. ${v.message}`,
    cp ? `The verified chain ends on checkpoint #${cp.id}: seq ${cp.seq}, hash \`${cp.hash}\`, signed ${cp.at} by key \`${cp.keyId}\`; ${v.checkpoints.unsignedEvents} later events are covered by the chain only. Signature: \`${cp.signature}\`.` : 'No signed checkpoint covers the chain yet.',
    '',
    '## Controls',
    '',
    '| control | scope | actions | auto-allowed | approved | denied | expired | cancelled | pending | break-glass | time to decision, median / p95 | people, median / p95 |',
    '| --- | --- | --: | --: | --: | --: | --: | --: | --: | --: | --: | --: |',
    ...s.controls.map((c) => `| ${c.id} ${c.title} | ${c.platform ? 'platform: every action' : 'actions the policy tagged'} | ${row(c.tally)} |`),
    `| **all actions** | | ${row(s.overall)} |`,
    '',
    ...s.controls.filter((c) => c.platform).map((c) => `- ${c.id}: ${c.platform}.`),
    '',
    '## Separation of duties',
    '',
    s.separationOfDuties.violations.length === 0
      ? `${s.separationOfDuties.approvalsChecked} approvals checked: none was given by the requester or by the principal the request was made for.`
      : `${s.separationOfDuties.approvalsChecked} approvals checked: ${s.separationOfDuties.violations.length} given by the requester or on-behalf-of principal (${s.separationOfDuties.violations.filter((x) => x.breakGlass).length} of them break-glass self-approvals the policy allowed, flagged for review):`,
    ...s.separationOfDuties.violations.slice(0, LIST_LIMIT).map((x) => `- ${x.actionId} approved by ${x.approver} (the ${x.role === 'requester' ? 'requester' : 'on-behalf-of principal'}) at ${x.at}, seq ${x.seq}${x.breakGlass ? ', break-glass' : ''}`),
    more(s.separationOfDuties.violations.length),
    s.separationOfDuties.requesterUnknown > 0 ? `${s.separationOfDuties.requesterUnknown} approvals belong to actions whose submission is not in the trail and could not be checked.` : '',
    '',
    '## Break-glass actions',
    '',
    s.breakGlass.length === 0 ? 'None.' : `${s.breakGlass.length} action${s.breakGlass.length === 1 ? ' was' : 's were'} submitted or approved as break-glass:`,
    ...s.breakGlass.slice(0, LIST_LIMIT).map((b) => `- ${b.actionId} by ${b.requester} at ${b.submittedAt}: ${b.outcome}${b.approvedBy.length ? `, approved by ${b.approvedBy.join(', ')}` : ''}${b.selfApproved ? ' (self-approved)' : ''}`),
    more(s.breakGlass.length),
    '',
    '## Events by type',
    '',
    ...Object.entries(s.eventsByType).sort().map(([type, n]) => `- ${type}: ${n}`),
    '',
  ];
  return lines.filter((l, i, all) => l !== '' || all[i - 1] !== '').join('\n');
}

function row(t: Tally): string {
  return [t.actions, t.autoAllowed, t.approved, t.denied, t.expired, t.cancelled, t.pending, t.breakGlass, pair(t.timeToDecisionMs), pair(t.timeToHumanDecisionMs)].join(' | ');
}

function pair(q: { median: number | null; p95: number | null }): string {
  return q.median === null ? '–' : `${duration(q.median)} / ${duration(q.p95!)}`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 7_200_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

function more(n: number): string {
  return n > LIST_LIMIT ? `- … and ${n - LIST_LIMIT} more (all of them are in the .summary.json file)` : '';
}

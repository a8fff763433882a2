import type { AuditEvent } from '../../domain/audit-event';
import { AuditEventType } from '../../domain/audit-event';
import { CONTROLS, normaliseControl } from './controls';

export type Outcome = 'autoAllowed' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** Counts for a set of actions submitted in the window. */
export interface Tally {
  actions: number;
  autoAllowed: number;
  approved: number;
  denied: number;
  expired: number;
  cancelled: number;
  /** No outcome by the end of the window. */
  pending: number;
  breakGlass: number;
  /** Submission to approval or denial, policy or person; expiry and cancellation are not decisions. */
  timeToDecisionMs: { median: number | null; p95: number | null };
  /** The same, for decisions people made. */
  timeToHumanDecisionMs: { median: number | null; p95: number | null };
}

export interface SelfApproval {
  actionId: string;
  approver: string;
  /** Whom the approver was: the requester or the principal it acted for. */
  role: 'requester' | 'onBehalfOf';
  at: string;
  seq: number;
  /** A break-glass self-approval the policy allowed: flagged for review, still listed. */
  breakGlass: boolean;
}

export interface BreakGlassAction {
  actionId: string;
  requester: string;
  submittedAt: string;
  outcome: Outcome | 'pending';
  approvedBy: string[];
  selfApproved: boolean;
}

export interface EvidenceSummary {
  events: number;
  firstSeq: number | null;
  lastSeq: number | null;
  eventsByType: Record<string, number>;
  overall: Tally;
  controls: { id: string; title: string; platform: string | null; tally: Tally }[];
  separationOfDuties: { approvalsChecked: number; violations: SelfApproval[]; requesterUnknown: number };
  breakGlass: BreakGlassAction[];
}

interface Track {
  id: string;
  requester: string;
  onBehalfOf: string | null;
  submittedAt: string;
  controls: string[];
  breakGlass: boolean;
  approvedBy: string[];
  selfApproved: boolean;
}

class TallyBuilder {
  counts = { actions: 0, autoAllowed: 0, approved: 0, denied: 0, expired: 0, cancelled: 0, pending: 0, breakGlass: 0 };
  decisions: number[] = [];
  humanDecisions: number[] = [];

  add(outcome: Outcome | 'pending', breakGlass: boolean, decisionMs: number | null, human: boolean): void {
    this.counts.actions += 1;
    this.counts[outcome] += 1;
    if (breakGlass) this.counts.breakGlass += 1;
    if (decisionMs !== null) (human ? this.humanDecisions : this.decisions).push(decisionMs);
  }

  build(): Tally {
    return { ...this.counts, timeToDecisionMs: quantiles([...this.decisions, ...this.humanDecisions]), timeToHumanDecisionMs: quantiles(this.humanDecisions) };
  }
}

/**
 * Reads the exported events in seq order and keeps what an auditor asks of them: per control, the
 * actions submitted in the window and how each ended; every approval checked against the requester and
 * the principal it acted for; every break-glass action. An action is folded into the counts as soon as
 * it has an outcome, so memory holds the undecided ones only.
 */
export class EvidenceCollector {
  private open = new Map<string, Track>();
  private overall = new TallyBuilder();
  private byControl = new Map<string, TallyBuilder>();
  private eventsByType: Record<string, number> = {};
  private events = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private approvalsChecked = 0;
  private violations: SelfApproval[] = [];
  private breakGlass: BreakGlassAction[] = [];
  /** Votes on actions submitted before the window: checked at the end, once their requesters are looked up. */
  private unresolvedVotes: { event: AuditEvent; voter: string }[] = [];
  private requesterUnknown = 0;

  add(e: AuditEvent): void {
    this.events += 1;
    this.firstSeq ??= e.seq;
    this.lastSeq = e.seq;
    this.eventsByType[e.type] = (this.eventsByType[e.type] ?? 0) + 1;
    const d = e.data as Record<string, any>;
    const track = e.actionId ? this.open.get(e.actionId) : undefined;
    switch (e.type) {
      case AuditEventType.actionSubmitted:
        if (!e.actionId) return;
        this.open.set(e.actionId, {
          id: e.actionId,
          requester: d.requester?.id ?? e.actor,
          onBehalfOf: d.submission?.onBehalfOf ?? null,
          submittedAt: e.at,
          controls: [],
          breakGlass: d.submission?.breakGlass === true,
          approvedBy: [],
          selfApproved: false,
        });
        return;
      case AuditEventType.policyEvaluated:
        if (track) track.controls = [...new Set(((d.decision?.controls ?? []) as string[]).map(normaliseControl))];
        return;
      case AuditEventType.approvalDecision: {
        const voter = d.principal ?? e.actor;
        if (d.decision !== 'approve') return; // only an approval can break separation of duties
        if (!track) return void this.unresolvedVotes.push({ event: e, voter });
        this.checkVote(e, voter, track.requester, track.onBehalfOf);
        track.approvedBy.push(voter);
        if (voter === track.requester || voter === track.onBehalfOf) track.selfApproved = true;
        return;
      }
      case AuditEventType.actionApproved:
        if (track && d.breakGlass === true) track.breakGlass = true;
        return this.close(track, d.by === 'policy' ? 'autoAllowed' : 'approved', e.at);
      case AuditEventType.actionDenied:
        return this.close(track, 'denied', e.at, d.by !== 'policy');
      case AuditEventType.actionExpired:
        return this.close(track, 'expired', e.at);
      case AuditEventType.actionCancelled:
        return this.close(track, 'cancelled', e.at);
    }
  }

  /** Requesters of actions submitted before the window, by action id (looked up by the exporter). */
  unresolvedActionIds(): string[] {
    return [...new Set(this.unresolvedVotes.map((v) => v.event.actionId!).filter(Boolean))];
  }

  resolveRequesters(requesters: Map<string, { requester: string; onBehalfOf: string | null }>): void {
    for (const { event, voter } of this.unresolvedVotes) {
      const who = event.actionId ? requesters.get(event.actionId) : undefined;
      if (who) this.checkVote(event, voter, who.requester, who.onBehalfOf);
      else this.requesterUnknown += 1;
    }
    this.unresolvedVotes = [];
  }

  summary(): EvidenceSummary {
    for (const track of [...this.open.values()]) this.close(track, 'pending', null);
    const known = new Set(CONTROLS.map((c) => c.id));
    const extra = [...this.byControl.keys()].filter((id) => !known.has(id)).sort();
    const overall = this.overall.build();
    return {
      events: this.events,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
      eventsByType: this.eventsByType,
      overall,
      controls: [
        ...CONTROLS.map((c) => ({ id: c.id, title: c.title, platform: c.platform ?? null, tally: c.platform ? overall : (this.byControl.get(c.id)?.build() ?? new TallyBuilder().build()) })),
        ...extra.map((id) => ({ id, title: '(named by policy)', platform: null, tally: this.byControl.get(id)!.build() })),
      ],
      separationOfDuties: { approvalsChecked: this.approvalsChecked, violations: this.violations, requesterUnknown: this.requesterUnknown },
      breakGlass: this.breakGlass,
    };
  }

  private checkVote(e: AuditEvent, voter: string, requester: string, onBehalfOf: string | null): void {
    this.approvalsChecked += 1;
    const role = voter === requester ? 'requester' : voter === onBehalfOf ? 'onBehalfOf' : null;
    if (role) this.violations.push({ actionId: e.actionId!, approver: voter, role, at: e.at, seq: e.seq, breakGlass: (e.data as { breakGlass?: unknown }).breakGlass === true });
  }

  private close(track: Track | undefined, outcome: Outcome | 'pending', at: string | null, human = outcome === 'approved'): void {
    if (!track) return;
    this.open.delete(track.id);
    const ms = at && outcome !== 'expired' && outcome !== 'cancelled' ? Date.parse(at) - Date.parse(track.submittedAt) : null;
    this.overall.add(outcome, track.breakGlass, ms, human);
    for (const control of track.controls) {
      if (!this.byControl.has(control)) this.byControl.set(control, new TallyBuilder());
      this.byControl.get(control)!.add(outcome, track.breakGlass, ms, human);
    }
    if (track.breakGlass) {
      this.breakGlass.push({ actionId: track.id, requester: track.requester, submittedAt: track.submittedAt, outcome, approvedBy: track.approvedBy, selfApproved: track.selfApproved });
    }
  }
}

/** Median and 95th percentile by nearest rank; null without data. */
function quantiles(values: number[]): { median: number | null; p95: number | null } {
  if (values.length === 0) return { median: null, p95: null };
  const sorted = Float64Array.from(values).sort();
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return { median: rank(0.5), p95: rank(0.95) };
}

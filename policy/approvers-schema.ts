import type { ApproverSet, EscalationTier } from '../domain';
import { formatDuration, MapReader } from './yaml-reader';

const APPROVER_KEYS = ['groups', 'principals', 'quorum', 'distinct_groups'] as const;
const TIER_KEYS = ['after', 'groups', 'principals'] as const;

export interface ApprovalRequirement {
  approvers: ApproverSet;
  quorum: number;
  distinctGroups: boolean;
}

/** `approvers: {groups?, principals?, quorum?, distinct_groups?}`; quorum must be reachable by the listed approvers. */
export function readApprovers(rule: MapReader): ApprovalRequirement | undefined {
  const r = rule.map('approvers', APPROVER_KEYS);
  if (!r) return undefined;
  const problemsBefore = r.problems.items.length;
  const groups = r.strings('groups') ?? [];
  const principals = r.strings('principals') ?? [];
  const quorum = r.integer('quorum', 1) ?? 1;
  const distinctGroups = r.bool('distinct_groups') ?? false;
  if (groups.length === 0 && principals.length === 0 && r.problems.items.length === problemsBefore) {
    r.report(r.node, r.path, 'names nobody; list at least one of groups or principals');
  }
  // Group sizes are unknown here; only fixed sets (distinct groups, or named principals alone) can be counted.
  const possible = distinctGroups ? groups.length : groups.length > 0 ? Infinity : principals.length;
  if (quorum > possible) {
    const who = distinctGroups ? `${possible} distinct group(s)` : `${possible} principal(s)`;
    r.report(r.raw('quorum') ?? r.node, r.pathOf('quorum'), `quorum ${quorum} can never be reached by ${who}; lower the quorum or add approvers`);
  }
  return { approvers: { groups, principals }, quorum, distinctGroups };
}

/** `escalation: [{after, groups?, principals?}]`: each step later than the one before, all before the timeout. */
export function readEscalation(rule: MapReader, timeoutSeconds: number | undefined): EscalationTier[] {
  const items = rule.list('escalation');
  if (!items) return [];
  const tiers: EscalationTier[] = [];
  let previous = 0;
  items.forEach((item, i) => {
    const r = MapReader.of(rule.problems, item, `${rule.pathOf('escalation')}[${i}]`, rule.ruleId, TIER_KEYS);
    if (!r) return;
    const after = r.require('after', 'when this step starts, e.g. 10m') ? r.duration('after') : undefined;
    const groups = r.strings('groups') ?? [];
    const principals = r.strings('principals') ?? [];
    if (groups.length === 0 && principals.length === 0) r.report(r.node, r.path, 'adds nobody; list at least one of groups or principals');
    if (after === undefined) return;
    if (after <= previous) r.report(r.raw('after'), r.pathOf('after'), `after ${formatDuration(after)} must be later than the previous step (${formatDuration(previous)})`);
    if (timeoutSeconds !== undefined && after >= timeoutSeconds) {
      r.report(r.raw('after'), r.pathOf('after'), `after ${formatDuration(after)} is not before the timeout (${formatDuration(timeoutSeconds)}); the action would expire first`);
    }
    previous = Math.max(previous, after);
    tiers.push({ afterSeconds: after, groups, principals });
  });
  return tiers;
}

/** `break_glass: {groups: [...]}`: who may approve their own request in an emergency. */
export function readBreakGlass(rule: MapReader): string[] {
  const r = rule.map('break_glass', ['groups']);
  if (!r) return [];
  if (!r.require('groups', 'who may approve their own request with breakGlass: true')) return [];
  const groups = r.strings('groups') ?? [];
  if (groups.length === 0 && r.has('groups')) r.report(r.raw('groups'), r.pathOf('groups'), 'is empty; list at least one group or remove break_glass');
  return groups;
}

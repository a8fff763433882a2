import { isScalar, type Node } from 'yaml';
import { DecisionOutcome } from '../domain';
import { readApprovers, readBreakGlass, readEscalation } from './approvers-schema';
import { readRuleTests } from './test-schema';
import { RISK_LEVELS, type RuleDefinition } from './types';
import type { ProblemList } from './problems';
import { MapReader } from './yaml-reader';

const RULE_KEYS = [
  'id', 'description', 'when', 'decision', 'approvers', 'require_justification', 'timeout', 'escalation', 'risk',
  'controls', 'notify', 'slack_channel', 'max_params_bytes', 'grant', 'break_glass', 'step_up', 'tests',
] as const;
const DECISIONS = Object.values(DecisionOutcome);

/** The rule's id, read before anything else so every later problem can name it. */
function peekId(node: unknown): string | null {
  const id = (node as { get?: (k: string) => unknown }).get?.('id');
  return typeof id === 'string' && id.length > 0 ? id : null;
}

/** One entry of `rules:`; returns undefined only when it is not even a mapping. Problems go to `problems`. */
export function readRule(problems: ProblemList, node: Node, index: number, defaultTimeout: number | undefined): RuleDefinition | undefined {
  const r = MapReader.of(problems, node, `rules[${index}]`, peekId(node), RULE_KEYS);
  if (!r) return undefined;
  const id = r.require('id', 'a unique name, e.g. prod-data-export') ? r.string('id') : undefined;
  const decision = r.require('decision', DECISIONS.join(' | ')) ? r.oneOf('decision', DECISIONS) : undefined;
  const timeoutSeconds = r.duration('timeout') ?? null;

  const requirement = readApprovers(r);
  if (decision === 'require_approval' && !r.has('approvers')) {
    r.report(r.node, r.pathOf('approvers'), 'require_approval needs approvers, e.g. approvers: {groups: [data-owners], quorum: 1}');
  }
  if (decision && decision !== 'require_approval') {
    for (const key of ['approvers', 'escalation', 'step_up'] as const) {
      if (r.has(key)) r.report(r.raw(key), r.pathOf(key), `only applies to decision require_approval, not ${decision}; remove it`);
    }
  }

  return {
    id: id ?? `rules[${index}]`,
    line: problems.lineOf(node),
    when: readWhen(r),
    whenLine: whenLine(r),
    decision: decision ?? 'deny',
    description: r.string('description') ?? null,
    approvers: requirement?.approvers ?? null,
    quorum: requirement?.quorum ?? 0,
    distinctGroups: requirement?.distinctGroups ?? false,
    requireJustification: r.bool('require_justification') ?? false,
    timeoutSeconds,
    escalation: readEscalation(r, timeoutSeconds ?? defaultTimeout),
    risk: r.oneOf('risk', RISK_LEVELS) ?? null,
    controls: r.strings('controls') ?? [],
    notify: readNotify(r),
    maxParamsBytes: r.integer('max_params_bytes', 1) ?? null,
    grantSeconds: r.duration('grant') ?? null,
    breakGlassGroups: readBreakGlass(r),
    stepUpMaxAgeSeconds: readStepUp(r),
    tests: readRuleTests(r),
  };
}

/** `step_up: {max_age: 5m}`: an approval counts only from a person who signed in to the IdP within max_age. */
function readStepUp(rule: MapReader): number | null {
  const r = rule.map('step_up', ['max_age']);
  if (!r) return null;
  if (!r.require('max_age', 'how recent the approver\'s sign-in must be, e.g. 5m')) return null;
  const seconds = r.duration('max_age');
  if (seconds !== undefined && seconds <= 0) r.report(r.raw('max_age'), r.pathOf('max_age'), 'must be longer than 0s');
  return seconds && seconds > 0 ? seconds : null;
}

/** Keys older policies name one channel's target with: `slack_channel: x` is `notify: {slack: x}`. */
const LEGACY_NOTIFY_KEYS = { slack_channel: 'slack' } as const;

/** `notify: {<channel>: <target>}`: any channel name (one not configured is ignored), each target a non-empty string. */
function readNotify(r: MapReader): Record<string, string> {
  const notify = r.stringMap('notify') ?? {};
  for (const [key, channel] of Object.entries(LEGACY_NOTIFY_KEYS)) {
    const target = r.string(key);
    if (target === undefined) continue;
    if (r.has('notify')) r.report(r.raw(key), r.pathOf(key), `is the older spelling of notify.${channel}; with notify set, move it there (notify: {${channel}: "${target}"}) and remove ${key}`);
    else notify[channel] = target;
  }
  return notify;
}

/** `when` is CEL text; a bare YAML `true`/`false` is accepted as the CEL literal. */
function readWhen(r: MapReader): string {
  if (!r.require('when', 'a CEL condition, or true')) return 'false';
  const node = r.raw('when');
  if (isScalar(node) && typeof node.value === 'boolean') return String(node.value);
  return r.string('when') ?? 'false';
}

/** The line where the CEL text itself starts: a block scalar (`when: |`) starts on the line after its header. */
function whenLine(r: MapReader): number | null {
  const node = r.raw('when');
  const line = r.lineOf('when');
  const block = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
  return line !== null && block ? line + 1 : line;
}

// The decision a rule (or the default) gives, and what that decision demands of the submission itself.
import type { ApproverSet, PolicyDecision } from '../domain';
import type { PolicyDefaults, RuleDefinition } from './types';

/** Whether two approver sets name the same groups and principals, in any order (a recorded decision may lack them). */
export function sameApprovers(a: Partial<ApproverSet> | undefined, b: ApproverSet): boolean {
  return sameSet(a?.groups, b.groups) && sameSet(a?.principals, b.principals);
}

const sameSet = (a: string[] = [], b: string[] = []) => a.length === b.length && [...a].sort().join('\0') === [...b].sort().join('\0');

const where = (source: string, line: number | null) => (line === null ? source : `${source}:${line}`);

/** The decision a matching rule gives; built once per version and copied per evaluation. */
export function ruleDecision(rule: RuleDefinition, version: string, defaults: PolicyDefaults, source: string): PolicyDecision {
  const approval = rule.decision === 'require_approval';
  return {
    outcome: rule.decision,
    ruleId: rule.id,
    policyVersion: version,
    approvers: approval && rule.approvers ? rule.approvers : { groups: [], principals: [] },
    quorum: approval ? rule.quorum : 0,
    distinctGroups: approval && rule.distinctGroups,
    timeoutSeconds: rule.timeoutSeconds ?? defaults.timeoutSeconds,
    escalation: approval ? rule.escalation : [],
    risk: rule.risk,
    controls: rule.controls,
    notify: rule.notify,
    requireJustification: rule.requireJustification,
    maxParamsBytes: rule.maxParamsBytes,
    grantSeconds: rule.grantSeconds ?? defaults.grantSeconds,
    breakGlassGroups: rule.breakGlassGroups,
    stepUpMaxAgeSeconds: approval ? rule.stepUpMaxAgeSeconds : null,
    reason: `rule "${rule.id}" (${where(source, rule.line)}) matched: ${rule.decision}`,
  };
}

/** No rule matched: the file's default applies. */
export function defaultDecision(version: string, defaults: PolicyDefaults): PolicyDecision {
  return {
    ...emptyDecision(version, defaults),
    outcome: defaults.decision,
    reason: defaults.decision === 'deny' ? 'no rule matched; the default is deny (fail closed)' : 'no rule matched; the default is allow',
  };
}

/** A rule's condition raised an error: deny, naming the rule, its line and the error, so the author can fix it. */
export function failClosedDecision(rule: RuleDefinition, version: string, defaults: PolicyDefaults, source: string, error: string): PolicyDecision {
  return {
    ...emptyDecision(version, defaults),
    ruleId: rule.id,
    timeoutSeconds: rule.timeoutSeconds ?? defaults.timeoutSeconds,
    reason: `rule "${rule.id}" (${where(source, rule.whenLine)}) could not be evaluated: ${error}; denied (fail closed)`,
  };
}

function emptyDecision(version: string, defaults: PolicyDefaults): PolicyDecision {
  return {
    outcome: 'deny',
    ruleId: null,
    policyVersion: version,
    approvers: { groups: [], principals: [] },
    quorum: 0,
    distinctGroups: false,
    timeoutSeconds: defaults.timeoutSeconds,
    escalation: [],
    risk: null,
    controls: [],
    notify: {},
    requireJustification: false,
    maxParamsBytes: null,
    grantSeconds: defaults.grantSeconds,
    breakGlassGroups: [],
    stepUpMaxAgeSeconds: null,
    reason: '',
  };
}

/** A fresh copy, so a caller changing its decision never changes the policy's template. */
export function copyDecision(t: PolicyDecision): PolicyDecision {
  return {
    ...t,
    approvers: { groups: t.approvers.groups.slice(), principals: t.approvers.principals.slice() },
    escalation: t.escalation.map((e) => ({ afterSeconds: e.afterSeconds, groups: e.groups.slice(), principals: e.principals.slice() })),
    controls: t.controls.slice(),
    notify: { ...t.notify },
    breakGlassGroups: t.breakGlassGroups.slice(),
  };
}

/** One reason a submission does not meet its rule's requirements; `field` is the submission field to fix. */
export interface SubmissionProblem {
  field: string;
  ruleId: string | null;
  message: string;
}

/** Params are carried in workflow history and the audit trail; a rule may allow more, but none allows unbounded. */
export const DEFAULT_MAX_PARAMS_BYTES = 64 * 1024;

/**
 * Checks what a rule demands of the submission itself (justification, size of params).
 * Returns [] when it complies; the API answers 422 with these as details otherwise.
 */
export function validateSubmission(decision: PolicyDecision, input: { justification?: string | null; params?: Record<string, unknown> | null }): SubmissionProblem[] {
  const problems: SubmissionProblem[] = [];
  const rule = decision.ruleId === null ? 'the policy default' : `rule "${decision.ruleId}"`;
  if (decision.requireJustification && !input.justification?.trim()) {
    problems.push({ field: 'justification', ruleId: decision.ruleId, message: `${rule} requires a justification; say why this action is needed in "justification"` });
  }
  const bytes = Buffer.byteLength(JSON.stringify(input.params ?? {}), 'utf8');
  const limit = decision.maxParamsBytes ?? DEFAULT_MAX_PARAMS_BYTES;
  if (bytes > limit) {
    const allows =
      decision.maxParamsBytes !== null
        ? `${rule} allows at most ${limit} (max_params_bytes)`
        : decision.ruleId === null
          ? `the default allows at most ${limit} bytes (64 KiB)`
          : `${rule} sets no max_params_bytes, so the default of ${limit} bytes (64 KiB) applies`;
    problems.push({ field: 'params', ruleId: decision.ruleId, message: `params are ${bytes} bytes as JSON; ${allows}: send less or move data behind a reference` });
  }
  return problems;
}

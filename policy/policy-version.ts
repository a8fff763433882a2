import type { PolicyDecision } from '../domain';
import { celErrorText, labelOf, noNames, type Condition, type LabelVariable, type PolicyNames } from './condition';
import { copyDecision, defaultDecision, failClosedDecision, ruleDecision } from './decisions';
import type { CompiledPolicy, PolicyDefaults, PolicyExplanation, PolicyInput, RuleDefinition, TraceStep } from './types';

interface CompiledRule {
  definition: RuleDefinition;
  condition: Condition;
  decision: PolicyDecision;
}

const MAX_CACHED_ACTIONS = 10_000;

/** What a condition returned: a match, no match, or the reason it could not be decided. */
type Verdict = true | false | string;

/**
 * One immutable policy version: first matching rule wins, in file order; errors fail closed. An `allow` rule whose
 * condition cannot be evaluated does not match (an error never grants anything), and the rules after it decide; a
 * `deny` or `require_approval` rule whose condition cannot be evaluated denies, naming the rule: skipping it could
 * let a later rule allow what it was there to stop (as a cloud IAM deny condition that errors still denies).
 */
export class PolicyVersion implements CompiledPolicy {
  readonly rules: readonly RuleDefinition[];
  private readonly compiled: readonly CompiledRule[];
  private readonly fallback: PolicyDecision;
  private readonly candidates = new Map<string, readonly CompiledRule[]>();
  private readonly names: PolicyNames = noNames();

  constructor(readonly version: string, readonly source: string, readonly defaults: PolicyDefaults, rules: { definition: RuleDefinition; condition: Condition }[]) {
    this.rules = Object.freeze(rules.map((r) => r.definition));
    this.compiled = rules.map((r) => ({ ...r, decision: ruleDecision(r.definition, version, defaults, source) }));
    this.fallback = defaultDecision(version, defaults);
    for (const { condition } of rules) {
      for (const variable of ['action', 'environment'] as const) {
        condition.names[variable].exact.forEach((v) => this.names[variable].exact.add(v));
      }
    }
  }

  labelFor(variable: LabelVariable, value: string): string {
    return labelOf(this.names[variable], value);
  }

  evaluate(input: PolicyInput): PolicyDecision {
    const activation = new Activation(input);
    for (const rule of this.candidatesFor(activation.action)) {
      const verdict = test(rule, activation);
      if (verdict === false || (verdict !== true && grantsOnly(rule))) continue;
      return verdict === true ? copyDecision(rule.decision) : this.failClosed(rule, verdict);
    }
    return copyDecision(this.fallback);
  }

  /** Like `evaluate`, but runs every condition up to the deciding one (no index) and says what each did. */
  explain(input: PolicyInput): PolicyExplanation {
    const activation = new Activation(input);
    const trace: TraceStep[] = [];
    for (const rule of this.compiled) {
      const { id: ruleId, line } = rule.definition;
      const verdict = test(rule, activation);
      if (verdict === false) {
        trace.push({ ruleId, line, matched: false, reason: 'condition was false' });
        continue;
      }
      if (verdict === true) {
        trace.push({ ruleId, line, matched: true, reason: `condition was true: ${rule.definition.decision}` });
        return { decision: copyDecision(rule.decision), trace };
      }
      if (grantsOnly(rule)) {
        trace.push({ ruleId, line, matched: false, reason: `condition could not be evaluated (${verdict}); an allow rule that cannot be evaluated does not match` });
        continue;
      }
      const decision = this.failClosed(rule, verdict);
      trace.push({ ruleId, line, matched: false, reason: decision.reason });
      return { decision, trace };
    }
    return { decision: copyDecision(this.fallback), trace };
  }

  /** The rules, in order, whose action guard lets `action` through; cached per action name, bounded. */
  private candidatesFor(action: string): readonly CompiledRule[] {
    let rules = this.candidates.get(action);
    if (rules) return rules;
    rules = this.compiled.filter((r) => r.condition.guard === null || r.condition.guard(action));
    // Action names come from callers; clearing when full keeps memory bounded without LRU bookkeeping.
    if (this.candidates.size >= MAX_CACHED_ACTIONS) this.candidates.clear();
    this.candidates.set(action, rules);
    return rules;
  }

  private failClosed(rule: CompiledRule, error: string): PolicyDecision {
    return failClosedDecision(rule.definition, this.version, this.defaults, this.source, error);
  }
}

/** A rule that can only allow: when its condition cannot be evaluated, not matching it is the strict reading. */
const grantsOnly = (rule: CompiledRule): boolean => rule.definition.decision === 'allow';

function test(rule: CompiledRule, activation: Activation): Verdict {
  try {
    const value = rule.condition.test(activation);
    if (typeof value === 'boolean') return value;
    return `the condition yielded ${value === null ? 'null' : typeof value}, not a bool`;
  } catch (err) {
    return celErrorText(err);
  }
}

/**
 * The CEL variables for one evaluation, built once and shared by every rule. A class gives every activation
 * the same shape (fast property reads in cel-js); `now` is read from the clock only if a condition uses it.
 */
export class Activation {
  readonly action: string;
  readonly resource: string;
  readonly environment: string;
  readonly params: Record<string, unknown>;
  readonly context: Record<string, unknown>;
  readonly requester: PolicyInput['requester'];
  readonly onBehalfOf: string | null;
  readonly justification: string;
  readonly breakGlass: boolean;
  readonly execute: { type: string; target: string | null };
  private at: Date | undefined;

  constructor(input: PolicyInput) {
    this.action = input.action;
    this.resource = input.resource ?? '';
    this.environment = input.environment ?? '';
    this.params = input.params ?? {};
    this.context = input.context ?? {};
    this.requester = input.requester;
    this.onBehalfOf = input.onBehalfOf ?? null;
    this.justification = input.justification ?? '';
    this.breakGlass = input.breakGlass ?? false;
    this.execute = { type: input.execute?.type ?? 'none', target: input.execute?.target ?? null };
    this.at = input.now;
  }

  get now(): Date {
    return (this.at ??= new Date());
  }
}

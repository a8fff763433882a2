import type { ApproverSet, DecisionOutcome, EscalationTier, PolicyDecision } from '../domain';
import type { LabelVariable } from './condition';

/** What a rule's CEL condition sees: one submission and who made it. */
export interface PolicyInput {
  action: string;
  resource: string;
  environment: string;
  params: Record<string, unknown>;
  context: Record<string, unknown>;
  requester: { id: string; kind: string; groups: string[] };
  onBehalfOf: string | null;
  justification?: string | null;
  breakGlass?: boolean;
  /** Where it runs: `execute.type` and the target of targets.yaml it runs against (null: none). */
  execute?: { type: string; target?: string | null };
  /** Evaluation time for `now`; replay passes the recorded submission time. */
  now?: Date;
}

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** What an inline test expects; omitted fields are not compared. `rule: null` means "the default applied". */
export interface TestExpectation {
  outcome: DecisionOutcome;
  rule?: string | null;
  quorum?: number;
  approvers?: ApproverSet;
}

export interface RuleTest {
  index: number;
  line: number | null;
  input: Partial<Omit<PolicyInput, 'requester' | 'execute'>> & { requester?: Partial<PolicyInput['requester']>; execute?: { type?: string; target?: string | null } };
  expect: TestExpectation;
}

/** One rule after schema validation, durations in seconds, still without its compiled condition. */
export interface RuleDefinition {
  id: string;
  line: number | null;
  when: string;
  whenLine: number | null;
  decision: DecisionOutcome;
  description: string | null;
  approvers: ApproverSet | null;
  quorum: number;
  distinctGroups: boolean;
  requireJustification: boolean;
  timeoutSeconds: number | null;
  escalation: EscalationTier[];
  risk: RiskLevel | null;
  controls: string[];
  notify: Record<string, string>;
  maxParamsBytes: number | null;
  grantSeconds: number | null;
  breakGlassGroups: string[];
  /** `step_up.max_age`: approvals need an IdP sign-in at most this old; null: no step-up. */
  stepUpMaxAgeSeconds: number | null;
  tests: RuleTest[];
}

export interface PolicyDefaults {
  decision: 'allow' | 'deny';
  timeoutSeconds: number;
  grantSeconds: number | null;
}

export interface PolicyDefinition {
  defaults: PolicyDefaults;
  rules: RuleDefinition[];
}

/** One step of `explain()`: what happened to one rule, in file order, up to the deciding one. */
export interface TraceStep {
  ruleId: string;
  line: number | null;
  matched: boolean;
  reason: string;
}

/** JSON-ready answer to "why this decision?" (served by the dry-run API). */
export interface PolicyExplanation {
  decision: PolicyDecision;
  trace: TraceStep[];
}

/** A policy version ready to decide: every condition compiled once, immutable once built. */
export interface CompiledPolicy {
  /** `sha256:<hex>` of the file bytes. */
  readonly version: string;
  /** The file name used in messages. */
  readonly source: string;
  readonly defaults: PolicyDefaults;
  readonly rules: readonly RuleDefinition[];
  evaluate(input: PolicyInput): PolicyDecision;
  explain(input: PolicyInput): PolicyExplanation;
  /**
   * A metric label for a submitted `action` or `environment`: the value when a condition names it, `<prefix>*`
   * when it matches a named `startsWith` prefix, else `other`; so callers cannot create series without bound.
   */
  labelFor(variable: LabelVariable, value: string): string;
}

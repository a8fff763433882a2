/** The policy room: compiles policy.yaml (YAML + CEL) and decides each submission; hot-reloads, tests and replays rules. Its door: other rooms import only from here. */
export { compilePolicy, policyVersionOf } from './compile';
export { PolicyError, formatProblem, type PolicyProblem } from './problems';
export { parseDuration, formatDuration } from './yaml-reader';
export { CEL_VARIABLES } from './condition';
export { validateSubmission, type SubmissionProblem } from './decisions';
export { runPolicyTests, type PolicyTestReport, type PolicyTestResult } from './inline-tests';
export { PolicyStore, type PolicyLogger, type PolicyStatus, type PolicyStoreOptions } from './store';
export { replayPolicy, type ReplayOptions } from './replay';
export { formatReplayReport, type ReplayChange, type ReplayReport } from './replay-report';
export type {
  CompiledPolicy,
  PolicyDefaults,
  PolicyExplanation,
  PolicyInput,
  RiskLevel,
  RuleDefinition,
  RuleTest,
  TestExpectation,
  TraceStep,
} from './types';

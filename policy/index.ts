// The policy room's door: other rooms import only from here.
export { compilePolicy, policyVersionOf } from './compile';
export { PolicyError, formatProblem, type PolicyProblem } from './errors';
export { parseDuration, formatDuration } from './duration';
export { CEL_VARIABLES } from './cel-environment';
export { validateSubmission, type SubmissionProblem } from './submission';
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

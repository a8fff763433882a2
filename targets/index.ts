// The targets room: targets.yaml (where approved actions may run, with references to their credentials), hot reloaded,
// where an http submission lands under a target's base, and the resolution of references inside executing activities.
export type { HttpTarget, PgParamType, PostgresStatement, PostgresTarget, RetrySchedule, Target, TargetSet, TargetSource } from './types';
export { NO_TARGETS, PG_PARAM_TYPES, TARGET_LIMITS, parseTargets, TargetsError, targetsVersionOf } from './parse';
export { httpTargetName, isUnder, pathProblem, placeHttp, type HttpPlacement, type HttpWhere, type PlacementProblem } from './placement';
export { referencesIn, referenceProblems, resolveRefs, systemSources, UnresolvedReference, type Reference, type ReferenceSources, type Resolved } from './references';
export { TargetsStore, type TargetsStatus, type TargetsStoreOptions } from './store';

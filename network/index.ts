// Which requests the http executor may send: to which addresses (never Interlock's own network), with which headers.
export { nonPublicReason } from './address-class';
export { AllowListEntryError, parseAllowList, targetKey, type PrivateAllowList } from './allow-list';
export { guardedLookup, systemResolve, TargetRefusedError, type Resolve } from './guarded-lookup';
export { headerProblems, type HeaderProblem } from './request-headers';
export { addressRefusal, checkTarget, type TargetRefusal } from './target-check';

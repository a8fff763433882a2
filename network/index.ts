// Which requests the http executor may send: to which addresses (never Interlock's own network), with which headers.
export { nonPublicReason, targetAddressReason } from './address-class';
export { AllowListEntryError, parseAllowList, targetKey, type PrivateAllowList } from './allow-list';
export { guardedLookup, systemResolve, TargetRefusedError, type Resolve } from './guarded-lookup';
export { headerProblems, reservedHeaderReason, type HeaderProblem } from './request-headers';
export { addressRefusal, checkTarget, type AddressScope, type TargetRefusal } from './target-check';

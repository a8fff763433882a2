/** The audit trail's chain: writing events into one hash-linked order, and reading them back. */
export { AuditWriter } from './writer';
export { chainHash, eventBody, linkHash, normaliseTime, GENESIS_HASH, type HashedFields } from './chain';
export { canonicalJson, toJsonValue } from './canonical-json';
export { queryAuditEvents, actionAuditEvents, streamAuditEvents, requestersOf } from './query';
// How a stored row is read and its head found: the checkpoint signer and the verifier read rows the same way.
export { readHead, storedEventColumns, toEvent } from './append-batch';

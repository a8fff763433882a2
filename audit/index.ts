export { AuditWriter, type ActionProjection } from './writer';
export { chainHash, GENESIS_HASH } from './chain';
export { queryAuditEvents, actionAuditEvents, streamAuditEvents, type AuditFilter } from './query';
export { verifyChain, ChainProblem, type ChainVerification } from './verify';

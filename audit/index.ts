/** The audit trail: a hash-chained record of every step of every action, signed, verified and exported as evidence. */
export { AuditWriter, chainHash, eventBody, linkHash, GENESIS_HASH, canonicalJson, toJsonValue, queryAuditEvents, actionAuditEvents, type HashedFields } from './trail';
export { createCheckpoint, checkpointStatement, Checkpointer, auditKeys, ensureDevSigningKey, parseSigningKey, publicKeyPem } from './checkpoint';
export { verifyTrail, copyLinkRange, copyOut, BinaryCopyReader, LINK_FIELD_COUNT, LinkHasher, writtenSeqOf, type TrailVerification, type VerifyOptions } from './verify';
export { exportAuditEvents, EXPORT_FORMATS, renderEvidenceReport, type ExportFormat } from './evidence';

/** Signed checkpoints of the chain's head: the keys, the signed statement, and signing it now and then. */
// A room of its own rather than part of the trail: the writer never needs it, while the verifier needs the
// statement and its signature check but not the writer, and the keys bring config and files the chain does not.
export { createCheckpoint, checkpointStatement, signatureValid, checkpointPage, lastCheckpointId, toCheckpoint, type Checkpoint } from './checkpoint';
export { Checkpointer } from './checkpointer';
export { auditKeys, ensureDevSigningKey, parseSigningKey, publicKeyPem } from './signing-key';

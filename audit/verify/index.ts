/** The fast verifier: recomputes the whole chain, in ranges and worker threads, against the signed checkpoints. */
export { verifyTrail, type TrailVerification, type VerifyOptions } from './verify';
// The byte-level readers, for their unit tests and the benchmark.
export { copyLinkRange } from './chain-links';
export { copyOut } from './copy-out';
export { BinaryCopyReader } from './binary-copy';
export { LINK_FIELD_COUNT, LinkHasher, writtenSeqOf } from './link-hasher';

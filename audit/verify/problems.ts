/** What verification found wrong, first bad seq first. */
export const TrailProblem = {
  /** An event's fields no longer hash to its stored hash, or it was replaced by a re-hashed copy. */
  changed: 'changed',
  /** A seq is absent: events were deleted (a signed checkpoint also reveals a deleted tail). */
  missing: 'missing',
  /** An intact event sits at a seq other than the one it was written at. */
  reordered: 'reordered',
  /** A checkpoint's signature does not verify with the configured public key. */
  checkpointSignatureInvalid: 'checkpoint_signature_invalid',
  /** A validly signed checkpoint names a hash the chain no longer has at its seq: the chain was rewritten. */
  checkpointMismatch: 'checkpoint_mismatch',
  /** A checkpoint does not follow the one before it (removed, inserted, or going back). */
  checkpointChainBroken: 'checkpoint_chain_broken',
  /** Checkpoints exist but no public key is configured to check them. */
  checkpointUnverifiable: 'checkpoint_unverifiable',
} as const;
export type TrailProblem = (typeof TrailProblem)[keyof typeof TrailProblem];

import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEvent } from '../domain/audit-event';

/** The `prevHash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The part of an event the hash covers: everything but the hashes themselves. */
export type HashedFields = Omit<AuditEvent, 'prevHash' | 'hash'>;

/**
 * hash = hex(SHA-256(prevHash || "\n" || JCS(event))), where JCS is RFC 8785 JSON canonicalisation of
 * {seq, id, actionId, type, actor, at, data, policyVersion} and `at` is an ISO-8601 UTC string with
 * milliseconds. Any change to a field, to the order (seq) or to the predecessor changes the hash.
 */
export function chainHash(event: HashedFields, prevHash: string): string {
  const body = canonicalize({
    seq: event.seq,
    id: event.id,
    actionId: event.actionId,
    type: event.type,
    actor: event.actor,
    at: normaliseTime(event.at),
    data: event.data,
    policyVersion: event.policyVersion,
  });
  return createHash('sha256').update(prevHash).update('\n').update(body ?? '').digest('hex');
}

/** Postgres returns timestamps in its own text form; the chain always hashes the ISO form. */
export function normaliseTime(at: string | Date): string {
  return new Date(at).toISOString();
}

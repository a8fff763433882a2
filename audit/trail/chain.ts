import { hash } from 'node:crypto';
import type { AuditEvent } from '../../domain/audit-event';
import { canonicalJson } from './canonical-json';

/** The `prevHash` of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** The part of an event the hash covers: everything but the hashes themselves. */
export type HashedFields = Omit<AuditEvent, 'prevHash' | 'hash'>;

/**
 * hash = hex(SHA-256(UTF-8(prevHash + "\n" + JCS(event)))), where JCS is RFC 8785 canonical JSON of
 * {seq, id, actionId, type, actor, at, data, policyVersion}: `at` an ISO-8601 UTC string with milliseconds,
 * `seq` a number, `actionId` and `policyVersion` null when absent. Any change to a field, to the order
 * (seq) or to the predecessor changes the hash. docs/audit.md shows one event worked through by hand.
 */
export function chainHash(event: HashedFields, prevHash: string): string {
  return linkHash(prevHash, eventBody(event, canonicalJson(event.data)));
}

export function linkHash(prevHash: string, body: string): string {
  return hash('sha256', `${prevHash}\n${body}`, 'hex');
}

/**
 * JCS of the hashed fields, given the JCS of `data`. JCS orders members by name, so the envelope is fixed
 * text around five JSON strings, the time, the seq and the data; this is what lets the verifier splice the
 * stored canonical data in without parsing it (a unit test checks it against the `canonicalize` package).
 */
export function eventBody(e: Omit<HashedFields, 'data'>, canonicalData: string): string {
  return (
    `{"actionId":${e.actionId === null ? 'null' : JSON.stringify(e.actionId)},"actor":${JSON.stringify(e.actor)},` +
    `"at":"${normaliseTime(e.at)}","data":${canonicalData},"id":${JSON.stringify(e.id)},` +
    `"policyVersion":${e.policyVersion === null ? 'null' : JSON.stringify(e.policyVersion)},"seq":${e.seq},"type":${JSON.stringify(e.type)}}`
  );
}

const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Postgres returns timestamps in its own text form; the chain always hashes the ISO form. Text already
 * in that form is kept (parsing a date costs more than hashing the event); `new Date` would only have
 * rolled an impossible date like 02-30 over, which Postgres then refuses instead.
 */
export function normaliseTime(at: string | Date): string {
  return typeof at === 'string' && ISO_MS.test(at) ? at : new Date(at).toISOString();
}

import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { HttpExecute } from '../../domain/action';

/**
 * `sha256:` hex of the RFC 8785 canonical `execute` object as submitted, so what approvers approve is bound to
 * the exact request (URL, method, headers, body). Computed here: workflow code has no node crypto.
 */
export function executeHash(execute: HttpExecute): string {
  return `sha256:${createHash('sha256').update(canonicalize(execute) ?? '').digest('hex')}`;
}

import type { Db } from '../../db';
import type { AuditEvent } from '../../domain/audit-event';
import { canonicalJson, requestersOf, streamAuditEvents } from '../trail';
import { EvidenceCollector, type EvidenceSummary } from './evidence';

export type ExportFormat = 'jsonl' | 'csv';
export const EXPORT_FORMATS: ExportFormat[] = ['jsonl', 'csv'];

/** The contract's field names, as jsonl has them (the table's snake_case columns are the database's business). */
const CSV_COLUMNS = ['seq', 'id', 'actionId', 'type', 'actor', 'at', 'policyVersion', 'prevHash', 'hash', 'data'];

/**
 * Writes the events whose time is in [from, to], in chain order, and returns the evidence summary of
 * the same events. Each line carries everything its hash covers, with `data` in the canonical form
 * that was hashed, so an auditor can recompute any event's hash from the export alone.
 */
export async function exportAuditEvents(
  db: Db,
  opts: { from?: string; to?: string; format: ExportFormat; write: (text: string) => void | Promise<void>; onProgress?: (events: number) => void },
): Promise<EvidenceSummary> {
  const evidence = new EvidenceCollector();
  if (opts.format === 'csv') await opts.write(CSV_COLUMNS.join(',') + '\r\n');
  let count = 0;
  let buffered = '';
  for await (const event of streamAuditEvents(db, { from: opts.from, to: opts.to })) {
    buffered += opts.format === 'csv' ? csvLine(event) : jsonLine(event);
    evidence.add(event);
    if (++count % 1000 === 0) {
      await opts.write(buffered); // writes in blocks: one write call per event is the slow part of a large export
      buffered = '';
      opts.onProgress?.(count);
    }
  }
  if (buffered) await opts.write(buffered);
  evidence.resolveRequesters(await requestersOf(db, evidence.unresolvedActionIds()));
  return evidence.summary();
}

function jsonLine(e: AuditEvent): string {
  return `{"seq":${e.seq},"id":${JSON.stringify(e.id)},"actionId":${JSON.stringify(e.actionId)},"type":${JSON.stringify(e.type)},"actor":${JSON.stringify(e.actor)},"at":${JSON.stringify(e.at)},"data":${canonicalJson(e.data)},"policyVersion":${JSON.stringify(e.policyVersion)},"prevHash":${JSON.stringify(e.prevHash)},"hash":${JSON.stringify(e.hash)}}\n`;
}

function csvLine(e: AuditEvent): string {
  return [e.seq, e.id, e.actionId ?? '', e.type, e.actor, e.at, e.policyVersion ?? '', e.prevHash, e.hash, canonicalJson(e.data)].map(csvField).join(',') + '\r\n';
}

/** RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. Values are never altered. */
function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

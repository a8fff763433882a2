/** Compliance evidence: the trail exported for an auditor, with the controls it shows and a report. */
export { exportAuditEvents, EXPORT_FORMATS, type ExportFormat } from './export';
export { renderEvidenceReport } from './evidence-report';

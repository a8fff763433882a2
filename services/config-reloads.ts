import { statSync } from 'node:fs';
import type { AuditWriter } from '../audit';
import { AuditEventType } from '../domain/audit-event';
import type { Logger } from '../observability';

/** A hot-reloaded file and how to follow its versions. */
interface ReloadingFile {
  kind: 'policy' | 'targets' | 'principals';
  file: string;
  version: () => string | null;
  onReload: (listener: (version: string) => void) => void;
}

/**
 * Every reload of policy, targets or principals becomes one `config.reloaded` event (file, old and new version).
 * The API and the workers all watch the same file: the event id is named by the new version and the file's
 * modification time, which every process sees alike, so the trail holds one event per change however many noticed.
 */
export function auditConfigReloads(audit: AuditWriter, log: Logger, files: ReloadingFile[]): void {
  for (const f of files) {
    let previous = f.version();
    f.onReload((version) => {
      const old = previous;
      previous = version;
      if (old === version) return;
      let mtime = 'unknown';
      try {
        mtime = String(Math.trunc(statSync(f.file).mtimeMs));
      } catch {
        /* the file went away after it was read; the event still records the change */
      }
      audit
        .append([{ id: `config.reloaded:${f.kind}:${version}:${mtime}`, actionId: null, type: AuditEventType.configReloaded, actor: 'interlock', at: new Date().toISOString(), data: { kind: f.kind, file: f.file, oldVersion: old, newVersion: version }, policyVersion: f.kind === 'policy' ? version : null }])
        .catch((err) => log.error({ err: String(err), file: f.file }, 'config.reloaded could not be audited'));
    });
  }
}

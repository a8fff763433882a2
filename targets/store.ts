// The targets in force: targets.yaml loaded and hot-reloaded (polling the file), the last good version kept when a new one is broken.
import { EventEmitter } from 'node:events';
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { NO_TARGETS, parseTargets, TargetsError, targetsVersionOf } from './parse';
import type { TargetSet, TargetSource } from './types';

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

export interface TargetsStoreOptions {
  file: string;
  logger?: { info: LogFn; error: LogFn };
  /** Stat polling interval for hot reload. */
  pollMs?: number;
}

export interface TargetsStatus {
  ok: boolean;
  /** The version in force; `none` when no file configures targets. */
  version: string;
  file: string;
  /** Why the file on disk is not the one in force; null when it is. */
  error: string | null;
}

/**
 * Holds the targets in force. A reload parses fully before one reference is swapped, so a check sees the old or
 * the new version, never a mix; a broken file keeps the last good version and says why in `status()`. A missing
 * file configures no targets (every http and postgres submission is then refused).
 */
export class TargetsStore extends EventEmitter<{ reload: [version: string, previous: string] }> implements TargetSource {
  readonly file: string;
  private readonly logger: TargetsStoreOptions['logger'];
  private readonly pollMs: number;
  private set: TargetSet = NO_TARGETS;
  private error: string | null = null;
  private lastSeen: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private watching: ((cur: Stats, prev: Stats) => void) | null = null;

  constructor(opts: TargetsStoreOptions) {
    super();
    this.file = opts.file;
    this.logger = opts.logger;
    this.pollMs = opts.pollMs ?? 1000;
  }

  /** Loads the file now; throws TargetsError when it cannot be used (start-up stops, as for the policy). */
  async load(): Promise<TargetSet> {
    const err = await this.enqueue(true);
    if (err) throw err;
    return this.set;
  }

  current(): TargetSet {
    return this.set;
  }

  status(): TargetsStatus {
    return { ok: this.error === null, version: this.set.version, file: this.file, error: this.error };
  }

  /** Hot reload: a content change on disk loads the new version. */
  start(): void {
    if (this.watching) return;
    this.watching = (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) void this.enqueue(false);
    };
    watchFile(this.file, { interval: this.pollMs, persistent: false }, this.watching);
  }

  async stop(): Promise<void> {
    if (this.watching) unwatchFile(this.file, this.watching);
    this.watching = null;
    await this.queue;
  }

  /** One reload at a time, in order; resolves with the error that kept the previous version, if any. */
  private enqueue(force: boolean): Promise<TargetsError | null> {
    const run = this.queue.then(() => this.attempt(force));
    this.queue = run.catch(() => {});
    return run;
  }

  private async attempt(force: boolean): Promise<TargetsError | null> {
    let bytes: Buffer | null;
    try {
      bytes = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return this.reject(new TargetsError(this.file, [{ line: null, ruleId: null, path: '', message: `cannot read the targets file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }]));
      bytes = null;
    }
    const seen = bytes === null ? 'absent' : targetsVersionOf(bytes);
    if (!force && seen === this.lastSeen) return null;
    this.lastSeen = seen;
    let next: TargetSet;
    try {
      next = bytes === null ? NO_TARGETS : parseTargets(bytes.toString('utf8'), this.file);
    } catch (err) {
      if (err instanceof TargetsError) return this.reject(err);
      throw err;
    }
    const previous = this.set.version;
    this.set = next;
    this.error = null;
    this.logger?.info({ file: this.file, version: next.version, previous, targets: next.all().map((t) => t.name) }, bytes === null ? 'no targets file: no targets configured' : 'targets loaded');
    if (next.version !== previous) this.emit('reload', next.version, previous);
    return null;
  }

  private reject(err: TargetsError): TargetsError {
    this.error = err.message;
    this.logger?.error({ file: this.file, problems: err.problems }, `targets rejected, keeping ${this.set.version}: ${err.message}`);
    return err;
  }
}

// The policy in force: loaded and hot-reloaded from disk (watching the file), with its Prometheus series.
import { EventEmitter } from 'node:events';
import { type Stats, unwatchFile, watch, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Counter, Gauge, type Registry } from 'prom-client';
import { compilePolicy, policyVersionOf } from './compile';
import { PolicyError } from './problems';
import type { CompiledPolicy } from './types';

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;
/** The part of a pino logger the store uses. */
export interface PolicyLogger {
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface PolicyStoreOptions {
  file: string;
  logger?: PolicyLogger;
  registry?: Registry;
  /** Stat polling interval, the fallback when fs.watch misses an event (network mounts, some editors). */
  pollMs?: number;
  debounceMs?: number;
}

export interface PolicyStatus {
  ok: boolean;
  version: string | null;
  file: string;
  loadedAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

const silent: PolicyLogger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Holds the policy in force and hot-reloads it from disk. A reload compiles fully before one reference is
 * swapped, so an evaluation sees the old or the new version, never a mix; a broken file keeps the last good one.
 */
export class PolicyStore extends EventEmitter<{ reload: [version: string, policy: CompiledPolicy]; rejected: [error: PolicyError] }> {
  readonly file: string;
  private readonly logger: PolicyLogger;
  private readonly metrics: PolicyMetrics;
  private readonly pollMs: number;
  private readonly debounceMs: number;
  private policy: CompiledPolicy | null = null;
  private lastSeenHash: string | null = null;
  private state: Omit<PolicyStatus, 'version' | 'file'> = { ok: false, loadedAt: null, lastError: null, lastErrorAt: null };
  private queue: Promise<unknown> = Promise.resolve();
  private stopWatching: (() => void) | null = null;

  constructor(opts: PolicyStoreOptions) {
    super();
    this.file = opts.file;
    this.logger = opts.logger ?? silent;
    this.metrics = createPolicyMetrics(opts.registry);
    this.pollMs = opts.pollMs ?? 1000;
    this.debounceMs = opts.debounceMs ?? 100;
  }

  /** Loads the file now; throws PolicyError when it cannot be used (the previous version, if any, stays). */
  async load(): Promise<CompiledPolicy> {
    const result = await this.enqueue(true);
    if (result instanceof PolicyError) throw result;
    return this.current();
  }

  /** The version in force. Throws until the first successful `load()`. */
  current(): CompiledPolicy {
    if (!this.policy) throw new Error(`policy ${this.file} is not loaded yet; call PolicyStore.load() at start-up`);
    return this.policy;
  }

  status(): PolicyStatus {
    return { ...this.state, version: this.policy?.version ?? null, file: this.file };
  }

  /** Starts hot reload: a content change on disk loads the new version (see watchPolicyFile for how it watches). */
  start(): void {
    if (this.stopWatching) return;
    this.stopWatching = watchPolicyFile(this.file, {
      pollMs: this.pollMs,
      debounceMs: this.debounceMs,
      // A throwing 'reload' listener must not become an unhandled rejection in the watcher callback.
      onChange: () => void this.enqueue(false).catch((err) => this.logger.error({ file: this.file, err: String(err) }, 'policy reload failed')),
      onWatchError: (err) => this.logger.warn({ file: this.file, err: String(err) }, 'cannot watch the policy directory; relying on polling'),
    });
  }

  /** Stops watching; resolves once a reload already under way has finished. */
  async stop(): Promise<void> {
    this.stopWatching?.();
    this.stopWatching = null;
    await this.queue;
  }

  /** Reloads run one at a time, in order, so a slow compile never lands after a newer one. */
  private enqueue(force: boolean): Promise<CompiledPolicy | PolicyError | null> {
    const run = this.queue.then(() => this.attempt(force));
    this.queue = run.catch(() => {});
    return run;
  }

  private async attempt(force: boolean): Promise<CompiledPolicy | PolicyError | null> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return this.reject(new PolicyError(this.file, [{ line: null, ruleId: null, path: '', message: `cannot read the policy file (${code}); create it or point INTERLOCK_POLICY at it` }]), null);
    }
    const hash = policyVersionOf(bytes);
    if (!force && hash === this.lastSeenHash) return null; // touched or re-saved unchanged
    this.lastSeenHash = hash;
    let policy: CompiledPolicy;
    try {
      policy = compilePolicy(bytes.toString('utf8'), { source: this.file });
    } catch (err) {
      if (err instanceof PolicyError) return this.reject(err, hash);
      throw err;
    }
    const previous = this.policy?.version ?? null;
    this.policy = policy;
    this.state = { ...this.state, ok: true, loadedAt: new Date().toISOString(), lastError: null };
    this.metrics.loaded(policy.version);
    this.logger.info({ file: this.file, version: policy.version, previous, rules: policy.rules.length }, 'policy loaded');
    this.emit('reload', policy.version, policy);
    return policy;
  }

  private reject(err: PolicyError, hash: string | null): PolicyError {
    this.lastSeenHash = hash;
    this.state = { ...this.state, ok: false, lastError: err.message, lastErrorAt: new Date().toISOString() };
    this.metrics.rejected();
    const keeping = this.policy ? `keeping ${this.policy.version}` : 'no version in force';
    this.logger.error({ file: this.file, problems: err.problems }, `policy rejected, ${keeping}: ${err.message}`);
    this.emit('rejected', err);
    return err;
  }
}

export interface FileWatchOptions {
  /** Stat polling interval: the fallback when fs.watch misses events (network mounts, some editors, containers). */
  pollMs: number;
  /** Editors save in several writes; wait this long after the last event before reacting. */
  debounceMs: number;
  onChange: () => void;
  onWatchError: (err: unknown) => void;
}

/**
 * Calls `onChange` (debounced) whenever `file` may have changed. Watches the containing directory, because
 * editors and config-map updates replace files by rename, which a watch on the file itself loses. Returns stop().
 */
export function watchPolicyFile(file: string, opts: FileWatchOptions): () => void {
  let timer: NodeJS.Timeout | null = null;
  const changed = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      opts.onChange();
    }, opts.debounceMs);
  };
  const base = path.basename(file);
  let watcher: ReturnType<typeof watch> | null = null;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
      if (!name || name === base) changed();
    });
    watcher.on('error', opts.onWatchError);
  } catch (err) {
    opts.onWatchError(err);
  }
  const onStat = (cur: Stats, prev: Stats) => {
    if (cur.mtimeMs !== prev.mtimeMs || cur.size !== prev.size || cur.ino !== prev.ino) changed();
  };
  watchFile(file, { interval: opts.pollMs, persistent: false }, onStat);
  return () => {
    watcher?.close();
    unwatchFile(file, onStat);
    if (timer) clearTimeout(timer);
  };
}

export interface PolicyMetrics {
  loaded(version: string): void;
  rejected(): void;
}

/** The store's Prometheus series. Without a registry they are kept but not exported (tests, CLI). */
export function createPolicyMetrics(registry?: Registry): PolicyMetrics {
  const registers = registry ? [registry] : [];
  // A second store on the same registry (tests, restarts in-process) reuses the series instead of throwing.
  const existing = <T>(name: string) => registry?.getSingleMetric(name) as T | undefined;
  const loadOk =
    existing<Gauge>('interlock_policy_load_ok') ??
    new Gauge({ name: 'interlock_policy_load_ok', help: '1 while the policy file on disk is the one in force, 0 while a broken file is ignored', registers });
  const reloads =
    existing<Counter<'result'>>('interlock_policy_reload_total') ??
    new Counter({ name: 'interlock_policy_reload_total', help: 'Policy load attempts by result (ok or error)', labelNames: ['result'], registers });
  const info =
    existing<Gauge<'version'>>('interlock_policy_info') ??
    new Gauge({ name: 'interlock_policy_info', help: 'The policy version in force (value is always 1)', labelNames: ['version'], registers });
  return {
    loaded(version) {
      loadOk.set(1);
      reloads.inc({ result: 'ok' });
      info.reset();
      info.set({ version }, 1);
    },
    rejected() {
      loadOk.set(0);
      reloads.inc({ result: 'error' });
    },
  };
}

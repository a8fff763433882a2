import { EventEmitter } from 'node:events';
import { readFile } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import { compilePolicy, policyVersionOf } from './compile';
import { PolicyError } from './errors';
import { watchPolicyFile } from './file-watch';
import { createPolicyMetrics, type PolicyMetrics } from './store-metrics';
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

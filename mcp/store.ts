// mcp.yaml in force, hot reloaded by polling the file; a broken edit keeps the last good version and says why.
import { EventEmitter } from 'node:events';
import { type Stats, unwatchFile, watchFile } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { McpConfigError, mcpVersionOf, NO_MCP, parseMcpConfig, type McpConfig } from './config';

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;

/** Where the gateway reads its configuration: a store over a file, or a fixed value in a test. */
export interface McpConfigSource {
  current(): McpConfig;
}

export class McpConfigStore extends EventEmitter<{ reload: [McpConfig] }> implements McpConfigSource {
  private config: McpConfig = NO_MCP;
  private seen: string | null = null;
  private lastError: string | null = null;
  private listener: ((cur: Stats, prev: Stats) => void) | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string, private readonly logger?: { info: LogFn; error: LogFn }, private readonly pollMs = 1000) {
    super();
  }

  /** Reads the file now; throws McpConfigError when it cannot be used (the gateway does not start on a broken file). */
  async load(): Promise<McpConfig> {
    const err = await this.reload(true);
    if (err) throw err;
    return this.config;
  }

  current(): McpConfig {
    return this.config;
  }

  /** Why the file on disk is not the version in force; null when it is. */
  error(): string | null {
    return this.lastError;
  }

  /** Hot reload on (polling the file's stat) until `stop`. */
  start(): void {
    this.listener ??= (cur, prev) => void (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size ? null : this.reload(false));
    watchFile(this.file, { interval: this.pollMs, persistent: false }, this.listener);
  }

  async stop(): Promise<void> {
    if (this.listener) unwatchFile(this.file, this.listener);
    await this.chain;
  }

  private reload(force: boolean): Promise<McpConfigError | null> {
    const next = this.chain.then(() => this.readOnce(force));
    this.chain = next.catch(() => {});
    return next;
  }

  private async readOnce(force: boolean): Promise<McpConfigError | null> {
    const text = await readFile(this.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    const version = text === null ? 'absent' : mcpVersionOf(text);
    if (!force && version === this.seen) return null;
    this.seen = version;
    try {
      const next = text === null ? NO_MCP : parseMcpConfig(text, this.file);
      const changed = next.version !== this.config.version;
      this.config = next;
      this.lastError = null;
      this.logger?.info({ file: this.file, version: next.version, servers: next.servers.map((s) => s.name) }, 'mcp gateway configuration loaded');
      if (changed) this.emit('reload', next);
      return null;
    } catch (err) {
      if (!(err instanceof McpConfigError)) throw err;
      this.lastError = err.message;
      this.logger?.error({ file: this.file, problems: err.problems }, `mcp.yaml rejected, keeping ${this.config.version}: ${err.message}`);
      return err;
    }
  }
}

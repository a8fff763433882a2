/**
 * `host:port` pairs the http executor may reach although private or loopback (INTERLOCK_HTTP_ALLOW_PRIVATE).
 * Keys are written as WHATWG URL parsing writes them (`127.0.0.1:8080`, `[::1]:8080`), so `0x7f.1:8080` in the
 * variable and `http://127.0.0.1:8080/` in a submission meet.
 */
export type PrivateAllowList = ReadonlySet<string>;

/** Thrown for an allow-list entry that is not a `host:port` pair. */
export class AllowListEntryError extends Error {
  override readonly name = 'AllowListEntryError';
  constructor(readonly entry: string, reason: string) {
    super(`"${entry}" ${reason}; write host:port pairs separated by commas, e.g. 127.0.0.1:8080,[::1]:8080`);
  }
}

/** Reads the comma-separated variable; an empty or unset value allows nothing. */
export function parseAllowList(raw: string | undefined): PrivateAllowList {
  const keys = new Set<string>();
  for (const entry of (raw ?? '').split(',').map((e) => e.trim()).filter(Boolean)) {
    if (!/^(\[[0-9a-fA-F:.]+\]|[^\s/:@?#[\]]+):\d+$/.test(entry)) throw new AllowListEntryError(entry, 'is not host:port');
    let url: URL;
    try {
      url = new URL(`http://${entry}/`);
    } catch {
      throw new AllowListEntryError(entry, 'is not a valid host and port');
    }
    const port = Number(entry.slice(entry.lastIndexOf(':') + 1));
    if (port < 1 || port > 65535) throw new AllowListEntryError(entry, 'has a port outside 1-65535');
    keys.add(`${url.hostname}:${port}`);
  }
  return keys;
}

/** The allow-list key of a URL: its normalised host and its port, 80 or 443 when the URL names none. */
export function targetKey(url: URL): string {
  return `${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { emailOf, type Principal } from '../domain/principal';

/** Thrown when principals.yaml cannot be used; names the file, line and field. */
export class PrincipalsError extends Error {
  override readonly name = 'PrincipalsError';
  constructor(message: string, readonly file: string) {
    super(message);
  }
}

/** Everyone the system knows, from principals.yaml: lookup by id, Slack user id or e-mail. */
export class PrincipalDirectory {
  private byId = new Map<string, Principal>();
  private bySlack = new Map<string, Principal>();
  private byMail = new Map<string, Principal>();

  constructor(principals: Principal[]) {
    for (const p of principals) {
      this.byId.set(p.id, p);
      if (p.slack) this.bySlack.set(p.slack, p);
      const mail = emailOf(p);
      if (mail) this.byMail.set(mail.toLowerCase(), p);
    }
  }

  get(id: string): Principal | undefined {
    return this.byId.get(id);
  }
  bySlackId(slackUserId: string): Principal | undefined {
    return this.bySlack.get(slackUserId);
  }
  byEmail(email: string): Principal | undefined {
    return this.byMail.get(email.toLowerCase());
  }
  all(): Principal[] {
    return [...this.byId.values()];
  }
  membersOf(group: string): Principal[] {
    return this.all().filter((p) => p.groups.includes(group));
  }
}

export function parsePrincipals(text: string, file = 'principals.yaml'): PrincipalDirectory {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new PrincipalsError(`${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`, file);
  }
  const list = (doc.toJS() ?? {}).principals;
  if (!Array.isArray(list)) throw new PrincipalsError(`${file}: expected a top-level "principals:" list`, file);
  const seq = doc.get('principals', true) as { items?: { range?: [number] }[] } | undefined;
  const seen = new Set<string>();
  const principals = list.map((raw: Record<string, unknown>, i: number) => {
    const at = `${file}:${lines.linePos(seq?.items?.[i]?.range?.[0] ?? 0).line}`;
    const fail = (msg: string) => new PrincipalsError(`${at}: principals[${i}]: ${msg}`, file);
    if (!raw || typeof raw !== 'object') throw fail('expected {id, kind, groups}');
    const unknown = Object.keys(raw).filter((k) => !['id', 'kind', 'groups', 'slack', 'email'].includes(k));
    if (unknown.length) throw fail(`unknown field "${unknown[0]}" (allowed: id, kind, groups, slack, email)`);
    if (typeof raw.id !== 'string' || raw.id === '') throw fail('"id" must be a non-empty string');
    if (seen.has(raw.id)) throw fail(`duplicate id "${raw.id}"`);
    seen.add(raw.id);
    if (raw.kind !== 'human' && raw.kind !== 'service') throw fail(`"kind" must be human or service, got ${JSON.stringify(raw.kind)}`);
    const groups = raw.groups ?? [];
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) throw fail('"groups" must be a list of names');
    return { id: raw.id, kind: raw.kind, groups, slack: raw.slack as string | undefined, email: raw.email as string | undefined } satisfies Principal;
  });
  return new PrincipalDirectory(principals);
}

/** Holds the current directory and reloads it when the file changes; a broken edit keeps the last good one. */
export class PrincipalsStore {
  private directory: PrincipalDirectory;
  lastError: string | null = null;

  constructor(private readonly file: string, private readonly log?: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void }) {
    this.directory = parsePrincipals(readFileSync(file, 'utf8'), file);
  }
  current(): PrincipalDirectory {
    return this.directory;
  }
  start(intervalMs = 1000): void {
    watchFile(this.file, { interval: intervalMs }, () => {
      try {
        this.directory = parsePrincipals(readFileSync(this.file, 'utf8'), this.file);
        this.lastError = null;
        this.log?.info({ file: this.file }, 'principals reloaded');
      } catch (err) {
        this.lastError = (err as Error).message;
        this.log?.warn({ err: this.lastError }, 'principals file rejected; keeping the last good version');
      }
    });
  }
  stop(): void {
    unwatchFile(this.file);
  }
}

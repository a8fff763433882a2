import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { readFileSync, watchFile, unwatchFile } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { canonicalIdentity, canonicalSlackId, canonicalTeamsId } from '../domain/identity';
import { emailOf, type Principal } from '../domain/principal';
import { parseIssuer, underEmailDomains, type IssuerConfig } from './issuers';

/** Thrown when principals.yaml cannot be used; names the file, line and field. */
export class PrincipalsError extends Error {
  override readonly name = 'PrincipalsError';
  constructor(message: string, readonly file: string) {
    super(message);
  }
}

/** Everyone the system knows, from principals.yaml, keyed by canonical identities (see domain/identity.ts). */
export class PrincipalDirectory {
  private byId = new Map<string, Principal>();
  private bySlack = new Map<string, Principal>();
  private byTeams = new Map<string, Principal>();
  private byMail = new Map<string, Principal>();

  /** `principals` must not share an id, e-mail, Slack or Teams id: parsePrincipals refuses such a file. */
  constructor(principals: Principal[], readonly issuers: IssuerConfig[] = []) {
    for (const p of principals) {
      this.byId.set(canonicalIdentity(p.id), p);
      if (p.slack) this.bySlack.set(canonicalSlackId(p.slack), p);
      if (p.teams) this.byTeams.set(canonicalTeamsId(p.teams), p);
      const mail = emailOf(p);
      if (mail) this.byMail.set(canonicalIdentity(mail), p);
    }
  }

  /** By id only: tokens and approver lists name principals by id. */
  get(id: string): Principal | undefined {
    return this.byId.get(canonicalIdentity(id));
  }
  bySlackId(slackUserId: string): Principal | undefined {
    return this.bySlack.get(canonicalSlackId(slackUserId));
  }
  /** By the Azure AD object id Teams reports for a user. */
  byTeamsId(aadObjectId: string): Principal | undefined {
    return this.byTeams.get(canonicalTeamsId(aadObjectId));
  }
  byEmail(email: string): Principal | undefined {
    return this.byMail.get(canonicalIdentity(email));
  }
  /**
   * The principal an identity someone typed names: its id, its e-mail, its Slack or Teams id, in any case or spacing.
   * The one place an identity becomes a principal; people known through an identity provider are added here.
   */
  resolve(identity: string): Principal | undefined {
    return this.get(identity) ?? this.byEmail(identity) ?? this.bySlackId(identity) ?? this.byTeamsId(identity);
  }
  /** Whether an e-mail names a person: listed here, or under a people issuer's `email_domains`. */
  isKnownPerson(identity: string): boolean {
    return this.resolve(identity) !== undefined || underEmailDomains(this.issuers, identity);
  }
  all(): Principal[] {
    return [...this.byId.values()];
  }
  membersOf(group: string): Principal[] {
    return this.all().filter((p) => p.groups.includes(group));
  }
}

const CLAIM_LABEL = { id: 'id', email: 'email', slack: 'Slack id', teams: 'Teams (Azure AD object) id' } as const;
type ClaimKind = keyof typeof CLAIM_LABEL;

export function parsePrincipals(text: string, file = 'principals.yaml'): PrincipalDirectory {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new PrincipalsError(`${file}:${lines.linePos(e.pos[0]).line}: ${e.message.split('\n')[0]}`, file);
  }
  const top = doc.toJS() ?? {};
  const list = top.principals;
  if (!Array.isArray(list)) throw new PrincipalsError(`${file}: expected a top-level "principals:" list`, file);
  const extra = Object.keys(top).filter((k) => k !== 'principals' && k !== 'issuers');
  if (extra.length) throw new PrincipalsError(`${file}: unknown top-level key "${extra[0]}" (allowed: principals, issuers)`, file);
  const seq = doc.get('principals', true) as { items?: { range?: [number] }[] } | undefined;
  // Every identity that names a principal, so that no id, e-mail or Slack id can name two (and take over the other's).
  const claims = new Map<string, { at: string; kind: ClaimKind }>();
  const principals = list.map((raw: Record<string, unknown>, i: number) => {
    const at = `${file}:${lines.linePos(seq?.items?.[i]?.range?.[0] ?? 0).line}`;
    const fail = (msg: string) => new PrincipalsError(`${at}: principals[${i}]: ${msg}`, file);
    if (!raw || typeof raw !== 'object') throw fail('expected {id, kind, groups}');
    const unknown = Object.keys(raw).filter((k) => !['id', 'kind', 'groups', 'slack', 'teams', 'email'].includes(k));
    if (unknown.length) throw fail(`unknown field "${unknown[0]}" (allowed: id, kind, groups, slack, teams, email)`);
    const identity = (field: 'id' | 'slack' | 'teams' | 'email', required: boolean): string | undefined => {
      const value = raw[field];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'string' || value.trim() === '') throw fail(`"${field}" must be a non-empty string`);
      if (/[\p{Cc}\p{Cf}]/u.test(value)) throw fail(`"${field}" ${JSON.stringify(value)} contains a control or invisible character`);
      if (/\s/.test(value.trim())) throw fail(`"${field}" ${JSON.stringify(value)} contains whitespace; an identity is one word`);
      return field === 'slack' ? canonicalSlackId(value) : field === 'teams' ? canonicalTeamsId(value) : canonicalIdentity(value);
    };
    const id = identity('id', true)!;
    const slack = identity('slack', false);
    const teams = identity('teams', false);
    if (teams && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(teams)) throw fail(`"teams" ${JSON.stringify(raw.teams)} is not an Azure AD object id (a GUID such as 00000000-0000-0000-0000-000000000000; Teams admin centre or Entra ID shows it)`);
    const email = identity('email', false);
    if (raw.kind !== 'human' && raw.kind !== 'service') throw fail(`"kind" must be human or service, got ${JSON.stringify(raw.kind)}`);
    const groups = raw.groups ?? [];
    if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) throw fail('"groups" must be a list of names');
    const principal = { id, kind: raw.kind, groups, slack, email, ...(teams ? { teams } : {}) } satisfies Principal;
    // E-mail first: an e-mail id is also the principal's e-mail, and is reported as the e-mail it is.
    const own: [ClaimKind, string | undefined][] = [['email', emailOf(principal)], ['id', id], ['slack', slack], ['teams', teams]];
    const mine = new Set<string>();
    for (const [kind, name] of own) {
      if (name === undefined || mine.has(name)) continue;
      mine.add(name);
      const prior = claims.get(name);
      if (prior) {
        const what = prior.kind === kind ? `${CLAIM_LABEL[kind]} ${name}` : `${name} (as ${CLAIM_LABEL[prior.kind]} and as ${CLAIM_LABEL[kind]})`;
        throw new PrincipalsError(`${prior.at} and ${at} both claim ${what}; an identity names one principal, so remove it from one of them`, file);
      }
      claims.set(name, { at, kind });
    }
    return principal;
  });
  return new PrincipalDirectory(principals, parseIssuers(top.issuers, doc, lines, file));
}

function parseIssuers(raw: unknown, doc: ReturnType<typeof parseDocument>, lines: LineCounter, file: string): IssuerConfig[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new PrincipalsError(`${file}: "issuers:" must be a list`, file);
  const seq = doc.get('issuers', true) as { items?: { range?: [number] }[] } | undefined;
  const seen = new Map<string, string>();
  return raw.map((entry, i) => {
    const at = `${file}:${lines.linePos(seq?.items?.[i]?.range?.[0] ?? 0).line}`;
    const issuer = parseIssuer(entry, at, (msg) => new PrincipalsError(`${at}: issuers[${i}]: ${msg}`, file));
    const key = `${issuer.issuer.replace(/\/$/, '')} ${issuer.audience}`;
    if (seen.has(key)) throw new PrincipalsError(`${seen.get(key)} and ${at} both configure issuer ${issuer.issuer} for audience ${issuer.audience}; keep one`, file);
    seen.set(key, at);
    return issuer;
  });
}
const versionOf = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

/** Holds the current directory and reloads it when the file changes; a broken edit keeps the last good one. */
export class PrincipalsStore extends EventEmitter<{ reload: [version: string, previous: string] }> {
  private directory: PrincipalDirectory;
  /** `sha256:` of the file in force, for `config.reloaded` events. */
  version: string;
  lastError: string | null = null;

  constructor(private readonly file: string, private readonly log?: { warn: (o: object, m: string) => void; info: (o: object, m: string) => void }) {
    super();
    const text = readFileSync(file, 'utf8');
    this.directory = parsePrincipals(text, file);
    this.version = versionOf(text);
  }
  current(): PrincipalDirectory {
    return this.directory;
  }
  start(intervalMs = 1000): void {
    watchFile(this.file, { interval: intervalMs }, () => {
      try {
        const text = readFileSync(this.file, 'utf8');
        this.directory = parsePrincipals(text, this.file);
        this.lastError = null;
        const previous = this.version;
        this.version = versionOf(text);
        this.log?.info({ file: this.file, version: this.version, previous }, 'principals reloaded');
        if (this.version !== previous) this.emit('reload', this.version, previous);
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

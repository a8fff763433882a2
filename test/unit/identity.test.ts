import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { canonicalIdentity, isIdentityOf, sameIdentity } from '../../domain/identity';
import { parsePrincipals, PrincipalsError, PrincipalsStore } from '../../identity';

const ALICE_SPELLINGS = ['alice@example.com', 'Alice@example.com', ' alice@example.com', 'alice@example.com ', 'ALICE@EXAMPLE.COM', '\talice@Example.COM\n'];

describe('an identity has one canonical spelling', () => {
  test('e-mails are trimmed and compare case-insensitively', () => {
    for (const s of ALICE_SPELLINGS) assert.equal(canonicalIdentity(s), 'alice@example.com', JSON.stringify(s));
    assert.ok(sameIdentity('Alice@Example.com', ' alice@example.com'));
  });

  test('service ids are trimmed and compare exactly', () => {
    assert.equal(canonicalIdentity('  svc:etl-bot '), 'svc:etl-bot');
    assert.equal(canonicalIdentity('svc:ETL-bot'), 'svc:ETL-bot');
    assert.ok(!sameIdentity('svc:ETL-bot', 'svc:etl-bot'));
  });

  test('nothing is the same identity as a missing one', () => {
    assert.ok(!sameIdentity(null, null));
    assert.ok(!sameIdentity('alice@example.com', undefined));
  });

  test('a principal is named by its id, its e-mail or its Slack id, in any case', () => {
    const alice = { id: 'alice@example.com', slack: 'U0ALICE' };
    for (const s of [...ALICE_SPELLINGS, 'U0ALICE', ' u0alice ']) assert.ok(isIdentityOf(alice, s), JSON.stringify(s));
    const bot = { id: 'svc:etl-bot', email: 'ETL@example.com' };
    assert.ok(isIdentityOf(bot, 'etl@EXAMPLE.com'));
    assert.ok(!isIdentityOf(alice, 'bob@example.com'));
    assert.ok(!isIdentityOf(alice, null));
  });
});

const PRINCIPALS = `principals:
  - {id: "svc:etl-bot", kind: service, groups: [pipelines], email: "ETL-Bot@Example.com"}
  - {id: "Alice@Example.com", kind: human, groups: [data-owners], slack: U0ALICE}
  - {id: "bob@example.com", kind: human, groups: [data-owners], slack: U0BOB, email: "robert@example.com"}
`;

describe('PrincipalDirectory resolves an identity to a principal', () => {
  const directory = parsePrincipals(PRINCIPALS);

  test('ids are stored in their canonical form', () => {
    assert.deepEqual(directory.all().map((p) => p.id), ['svc:etl-bot', 'alice@example.com', 'bob@example.com']);
    assert.equal(directory.get('ALICE@example.com ')?.id, 'alice@example.com');
  });

  test('by id, by e-mail or by Slack id, in any case and with surrounding whitespace', () => {
    for (const s of [...ALICE_SPELLINGS, 'U0ALICE', ' u0alice']) assert.equal(directory.resolve(s)?.id, 'alice@example.com', JSON.stringify(s));
    for (const s of ['bob@example.com', 'Robert@Example.com', ' robert@example.com', 'U0BOB']) assert.equal(directory.resolve(s)?.id, 'bob@example.com', JSON.stringify(s));
    for (const s of ['svc:etl-bot', ' svc:etl-bot ', 'etl-bot@example.com']) assert.equal(directory.resolve(s)?.id, 'svc:etl-bot', JSON.stringify(s));
  });

  test('an identity nobody in the file has resolves to nothing', () => {
    for (const s of ['ghost@nowhere.invalid', 'svc:ETL-BOT', 'U0GHOST', '', '   ', 'alice@example.com\u200b']) assert.equal(directory.resolve(s), undefined, JSON.stringify(s));
  });
});

describe('parsePrincipals refuses a file in which one identity names two principals', () => {
  const fails = (text: string, pattern: RegExp) => assert.throws(() => parsePrincipals(text), (err: Error) => err instanceof PrincipalsError && pattern.test(err.message));

  test('a service claiming a person\'s e-mail fails, naming both lines', () => {
    fails(
      `principals:
  - {id: "alice@example.com", kind: human, groups: [data-owners], slack: U0ALICE}
  - {id: "svc:etl-bot", kind: service, groups: [pipelines]}
  - {id: "svc:impostor", kind: service, groups: [pipelines], email: "Alice@Example.com"}
`,
      /^principals\.yaml:2 and principals\.yaml:4 both claim email alice@example\.com/,
    );
  });

  test('two e-mails that differ only in case fail', () => {
    fails(
      `principals:
  - {id: "svc:a", kind: service, email: "ops@example.com"}
  - {id: "svc:b", kind: service, email: "OPS@example.com "}
`,
      /^principals\.yaml:2 and principals\.yaml:3 both claim email ops@example\.com/,
    );
  });

  test('two principals with one Slack id fail', () => {
    fails(
      `principals:
  - {id: "alice@example.com", kind: human, slack: U0ALICE}
  - {id: "svc:etl-bot", kind: service}
  - {id: "mallory@example.com", kind: human, slack: u0alice}
`,
      /^principals\.yaml:2 and principals\.yaml:4 both claim Slack id U0ALICE/,
    );
  });

  test('ids that are one after canonicalisation fail', () => {
    fails(
      `principals:
  - {id: "alice@example.com", kind: human}
  - {id: " Alice@Example.com", kind: human}
`,
      /^principals\.yaml:2 and principals\.yaml:3 both claim (id|email) alice@example\.com/,
    );
  });

  test('an id or e-mail with whitespace inside or a control character fails, naming the line and field', () => {
    fails('principals:\n  - {id: "alice @example.com", kind: human}\n', /^principals\.yaml:2: principals\[0\]: "id" .*whitespace/);
    fails('principals:\n  - {id: "svc:a", kind: service}\n  - {id: "svc:\\u0007b", kind: service}\n', /^principals\.yaml:3: principals\[1\]: "id" .*control/);
    fails('principals:\n  - {id: "svc:a", kind: service, email: "a@ex ample.com"}\n', /^principals\.yaml:2: principals\[0\]: "email" .*whitespace/);
    fails('principals:\n  - {id: "svc:a", kind: service, slack: 42}\n', /^principals\.yaml:2: principals\[0\]: "slack"/);
  });

  test('the repository\'s principals.yaml loads', () => {
    const directory = parsePrincipals(readRepoFile('principals.yaml'));
    assert.equal(directory.resolve('U0ALICE')?.id, 'alice@example.com');
  });
});

describe('PrincipalsStore keeps the last good directory when an edit claims one identity twice', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-principals-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('the reload is refused with both lines named, and the old directory stays', async () => {
    const file = path.join(dir, 'principals.yaml');
    writeFileSync(file, PRINCIPALS);
    const warnings: string[] = [];
    const store = new PrincipalsStore(file, { warn: (o: any) => void warnings.push(o.err), info: () => {} });
    store.start(20);
    try {
      // fs.watchFile takes its first stat asynchronously: an edit before it would become the baseline, never a change.
      await new Promise((r) => setTimeout(r, 200));
      writeFileSync(file, PRINCIPALS + '  - {id: "svc:impostor", kind: service, email: "alice@example.com", slack: U0IMP}\n');
      const deadline = Date.now() + 15_000;
      while (store.lastError === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.match(store.lastError ?? '', /:3 and .*:5 both claim email alice@example\.com/);
      assert.equal(store.current().resolve('alice@example.com')?.id, 'alice@example.com');
      assert.equal(store.current().resolve('U0IMP'), undefined);
      assert.equal(warnings.length, 1);
    } finally {
      store.stop();
    }
  });
});

function readRepoFile(name: string): string {
  return readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');
}

describe('principals.yaml issuers:', () => {
  const withIssuer = (entry: string) => `principals:\n  - {id: "alice@example.com", kind: human, groups: [data-owners]}\nissuers:\n${entry}`;
  const fails = (text: string, pattern: RegExp) => assert.throws(() => parsePrincipals(text), (err: Error) => err instanceof PrincipalsError && pattern.test(err.message));

  test('an issuer as the contract shows it is read, and an e-mail under its domains is a known person', () => {
    const directory = parsePrincipals(withIssuer('  - {issuer: "https://login.example.com", audience: interlock-console, principal: "{email}", kind: human, groups_claim: groups, email_domains: [example.com]}\n'));
    assert.equal(directory.issuers.length, 1);
    assert.equal(directory.isKnownPerson('Zoe@EXAMPLE.com'), true);
    assert.equal(directory.isKnownPerson('zoe@example.org'), false);
  });
  test('reserved groups, plain-http issuers, shared-secret algorithms and templates without a claim are refused with the line', () => {
    fails(withIssuer('  - {issuer: "https://a.example", audience: x, principal: "svc:{sub}", kind: service, groups: [admins]}\n'), /principals\.yaml:4: issuers\[0\]: "groups" must not contain admins/);
    fails(withIssuer('  - {issuer: "http://idp.example", audience: x, principal: "{sub}", kind: service}\n'), /must be https/);
    fails(withIssuer('  - {issuer: "https://a.example", audience: x, principal: "{sub}", kind: service, algorithms: [HS256]}\n'), /may not contain HS256/);
    fails(withIssuer('  - {issuer: "https://a.example", audience: x, principal: "svc:fixed", kind: service}\n'), /names no claim/);
    fails(withIssuer('  - {issuer: "https://a.example", audience: x, principal: "{sub}", kind: service, colour: blue}\n'), /unknown field "colour"/);
  });
});

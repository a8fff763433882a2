import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { targetAddressReason } from '../../network';
import { isUnder, parseTargets, pathProblem, placeHttp, resolveRefs, TARGET_LIMITS, TargetsError, UnresolvedReference } from '../../targets';

/** The problems of a file that must not load, as `line: path: message` strings. */
function problemsOf(text: string): string[] {
  try {
    parseTargets(text, 'targets.yaml');
  } catch (err) {
    assert.ok(err instanceof TargetsError, String(err));
    assert.match(err.message, /^targets\.yaml has \d+ problems?:/);
    return err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
  }
  assert.fail('the file loaded');
}

describe('targets.yaml is read strictly, every problem naming its line and key', () => {
  test('the example in the repository loads, with defaults for timeout and retry', async () => {
    const { readFile } = await import('node:fs/promises');
    const set = parseTargets(await readFile(new URL('../../targets.yaml', import.meta.url), 'utf8'));
    assert.deepEqual(set.all().map((t) => `${t.name}:${t.type}`), ['rotator:http', 'exporter:http', 'billing-db:postgres']);
    assert.match(set.version, /^sha256:[0-9a-f]{64}$/);
    const minimal = parseTargets('targets:\n  a: {type: http, url: "https://a.example"}\n').get('a')!;
    assert.deepEqual(minimal, { name: 'a', type: 'http', url: 'https://a.example/', headers: {}, timeoutSeconds: TARGET_LIMITS.timeoutSeconds.default, retry: { attempts: 6, maxIntervalSeconds: 30 } });
  });

  test('an empty file, or an empty targets key, configures no targets', () => {
    assert.deepEqual(parseTargets('').all(), []);
    assert.deepEqual(parseTargets('targets:\n').all(), []);
    assert.deepEqual(parseTargets('targets: {}\n').all(), []);
  });

  test('an http base URL is a literal: no reference, userinfo, query, fragment, dot segment or other scheme', () => {
    const problems = problemsOf([
      'targets:',
      '  a: {type: http, url: "${env:BASE}"}',
      '  b: {type: http, url: "https://u:p@b.example/"}',
      '  c: {type: http, url: "https://c.example/?x=1"}',
      '  d: {type: http, url: "https://d.example/#top"}',
      '  e: {type: http, url: "https://e.example/a/../b/"}',
      '  f: {type: http, url: "ftp://f.example/"}',
      '  g: {type: http, url: "not a url"}',
      '  h: {type: http, url: "https://h.example/a%2Fb/"}',
      '',
    ].join('\n'));
    assert.equal(problems.length, 8);
    assert.match(problems[0], /^2: targets\.a\.url: an http target's url is a literal base URL, never a reference/);
    assert.match(problems[1], /^3: targets\.b\.url: .*user name or password/);
    assert.match(problems[2], /^4: targets\.c\.url: .*query or fragment/);
    assert.match(problems[3], /^5: targets\.d\.url: .*query or fragment/);
    assert.match(problems[4], /^6: targets\.e\.url: .*\. or \.\. path segment/);
    assert.match(problems[5], /^7: targets\.f\.url: the scheme ftp: is not http or https/);
    assert.match(problems[6], /^8: targets\.g\.url: "not a url" is not an absolute URL/);
    assert.match(problems[7], /^9: targets\.h\.url: .*encoded/);
  });

  test('typos, wrong types, missing keys and values over the caps are reported at their lines', () => {
    const problems = problemsOf([
      'targets:',
      '  a:',
      '    type: http',
      '    url: https://a.example/',
      '    header: {X: y}',
      '    timeout: 2h',
      '    retry: {attempts: 0, max_interval: 1d}',
      '  b: {type: smtp}',
      '  c: {url: "https://c.example/"}',
      '  "bad name!": {type: http, url: "https://d.example/"}',
      '  e: {type: http}',
      '  f: {type: http, url: "https://f.example/", retry: {attempts: 21}}',
      '',
    ].join('\n'));
    assert.deepEqual(problems.map((p) => p.split(': ').slice(0, 2).join(': ')), [
      '5: targets.a.header',
      '6: targets.a.timeout',
      '7: targets.a.retry.attempts',
      '7: targets.a.retry.max_interval',
      '8: targets.b.type',
      '9: targets.c.type',
      '10: targets.bad name!',
      '11: targets.e.url',
      '12: targets.f.retry.attempts',
    ]);
    assert.match(problems[0], /unknown key "header"; did you mean "headers"\?/);
    assert.match(problems[1], /7200 is more than the cap of 600/);
    assert.match(problems[4], /must be one of http, postgres, got "smtp"/);
    assert.match(problems[5], /missing required key "type"/);
  });

  test('headers: references must be well formed, and a target cannot set what Interlock sets', () => {
    const problems = problemsOf([
      'targets:',
      '  a:',
      '    type: http',
      '    url: https://a.example/',
      '    headers:',
      '      Authorization: "Bearer ${env:1TOKEN}"',
      '      X-Vault: "${vault:secret/x}"',
      '      X-File: "${file:relative/path}"',
      '      X-Open: "Bearer ${env:TOKEN"',
      '      Idempotency-Key: "fixed"',
      '      Webhook-Signature: "v1,x"',
      '      "Bad Name": "x"',
      '',
    ].join('\n'));
    assert.equal(problems.length, 7, problems.join('\n'));
    assert.match(problems[0], /^6: targets\.a\.headers\.Authorization: \$\{env:1TOKEN\}: "1TOKEN" is not an environment variable name/);
    assert.match(problems[1], /^7: targets\.a\.headers\.X-Vault: \$\{vault:secret\/x\}: unknown reference kind "vault"/);
    assert.match(problems[2], /^8: targets\.a\.headers\.X-File: .*absolute path/);
    assert.match(problems[3], /^9: targets\.a\.headers\.X-Open: a "\$\{" does not start a complete reference/);
    assert.match(problems[4], /^10: targets\.a\.headers\.Idempotency-Key: Idempotency-Key is set by Interlock/);
    assert.match(problems[5], /^11: targets\.a\.headers\.Webhook-Signature: .*set by Interlock/);
    assert.match(problems[6], /^12: targets\.a\.headers\.Bad Name: .*not a valid header name/);
  });

  test('postgres: a reference or postgres:// url, statements with one known type per $n', () => {
    const ok = parseTargets('targets:\n  db:\n    type: postgres\n    url: "${file:/run/secrets/db-url}"\n    statements:\n      refund: {sql: "update t set s = $2 where id = $1", params: [text, int]}\n      ping: {sql: "select 1"}\n');
    const db = ok.get('db')!;
    assert.equal(db.type, 'postgres');
    assert.deepEqual(db.type === 'postgres' && db.statements, { refund: { sql: 'update t set s = $2 where id = $1', params: ['text', 'int'] }, ping: { sql: 'select 1', params: [] } });
    const problems = problemsOf([
      'targets:',
      '  a: {type: postgres, url: "mysql://x", statements: {s: {sql: "select 1"}}}',
      '  b: {type: postgres, url: "${env:B}", statements: {s: {sql: "select $1, $2", params: [text]}}}',
      '  c: {type: postgres, url: "${env:C}", statements: {s: {sql: "select $1", params: [varchar]}}}',
      '  d: {type: postgres, url: "${env:D}", statements: {}}',
      '  e: {type: postgres, url: "${env:E}", statements: {s: {sql: "select 1", parms: []}}}',
      '  f: {type: postgres, url: "${env:F}", headers: {X: y}, statements: {s: {sql: "select 1"}}}',
      '',
    ].join('\n'));
    assert.equal(problems.length, 6, problems.join('\n'));
    assert.match(problems[0], /^2: targets\.a\.url: must be a postgres:\/\/ URL or a reference/);
    assert.match(problems[1], /^3: targets\.b\.statements\.s\.params: the sql uses \$1\.\.\$2 but params lists 1 type/);
    assert.match(problems[2], /^4: targets\.c\.statements\.s\.params: "varchar" is not a parameter type; use one of text, int, bigint, numeric, bool, uuid, timestamptz, jsonb/);
    assert.match(problems[3], /^5: targets\.d\.statements: .*at least one/);
    assert.match(problems[4], /^6: targets\.e\.statements\.s\.parms: unknown key "parms"; did you mean "params"\?/);
    assert.match(problems[5], /^7: targets\.f\.headers: unknown key "headers"/);
  });

  test('YAML syntax errors and duplicate target names are reported with their line', () => {
    assert.match(problemsOf('targets:\n  a: {type: http\n')[0], /^\d+: : YAML syntax/);
    assert.match(problemsOf('targets:\n  a: {type: http, url: "https://a.example/"}\n  a: {type: http, url: "https://b.example/"}\n')[0], /^3: : YAML syntax: Map keys must be unique/);
  });
});

describe('references are resolved only when asked, and a missing one is named, never guessed', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'interlock-refs-'));
  const file = path.join(dir, 'token');
  writeFileSync(file, 'from-a-file\n');
  const sources = { env: { TOKEN: 'from-env', EMPTY: '' }, readFile: (f: string) => import('node:fs/promises').then((fs) => fs.readFile(f, 'utf8')) };

  test('env and file references are replaced, and their values returned for redaction', async () => {
    assert.deepEqual(await resolveRefs(`Bearer \${env:TOKEN} \${file:${file}}`, sources), { value: 'Bearer from-env from-a-file', secrets: ['from-env', 'from-a-file'] });
    assert.deepEqual(await resolveRefs('no references, $ and {} alone', sources), { value: 'no references, $ and {} alone', secrets: [] });
  });

  test('an unset or empty variable, or an unreadable file, names the reference and not a value', async () => {
    for (const [template, reason] of [['${env:MISSING}', /\$\{env:MISSING\} is not set/], ['${env:EMPTY}', /\$\{env:EMPTY\} is not set/], [`\${file:${dir}/absent}`, /absent\} cannot be read \(ENOENT\)/]] as const) {
      await assert.rejects(resolveRefs(`Bearer ${template}`, sources), (err: unknown) => err instanceof UnresolvedReference && reason.test(err.message) && !err.message.includes('from-env'));
    }
  });
});

describe('an http execute lands under a target base or nowhere', () => {
  const targets = parseTargets('targets:\n  api: {type: http, url: "https://svc.example/api"}\n  root: {type: http, url: "https://svc.example/"}\n  other: {type: http, url: "https://svc.example:8443/v1/"}\n');

  test('target + path joins under the base; a url picks the target with the longest base it lies under', () => {
    assert.deepEqual(placeHttp({ target: 'api', path: '/run' }, targets), { target: targets.get('api'), url: 'https://svc.example/api/run' });
    assert.deepEqual(placeHttp({ target: 'api', path: 'run?dry=1' }, targets), { target: targets.get('api'), url: 'https://svc.example/api/run?dry=1' });
    assert.deepEqual(placeHttp({ target: 'api' }, targets), { target: targets.get('api'), url: 'https://svc.example/api' });
    assert.equal((placeHttp({ url: 'https://svc.example/api/run' }, targets) as { target: { name: string } }).target.name, 'api');
    assert.equal((placeHttp({ url: 'https://svc.example/apix' }, targets) as { target: { name: string } }).target.name, 'root');
    assert.equal((placeHttp({ url: 'https://SVC.example:8443/v1/x' }, targets) as { target: { name: string } }).target.name, 'other');
    assert.equal((placeHttp({ url: 'https://svc.example:8443/v2/x' }, targets) as { field: string }).field, 'execute.url');
  });

  test('a segment boundary is a boundary: /api covers /api and /api/x, not /apix', () => {
    const base = new URL('https://h.example/api');
    assert.ok(isUnder(new URL('https://h.example/api'), base));
    assert.ok(isUnder(new URL('https://h.example/api/x'), base));
    assert.ok(!isUnder(new URL('https://h.example/apix'), base));
    assert.ok(!isUnder(new URL('http://h.example/api/x'), base), 'another scheme');
    assert.ok(!isUnder(new URL('https://h.example:444/api/x'), base), 'another port');
    assert.ok(isUnder(new URL('https://h.example:443/api/x'), base), 'the default port written out is the same port');
  });

  test('paths that could be read as another place are refused', () => {
    for (const bad of ['..', '../x', 'a/..', '%2E%2E/x', '.%2e/x', 'a%2fb', 'a%5Cb', 'a\\b', '//h', 'a//b', 'https://x', 'javascript:x', 'a#b', 'a b', '%', '%C0%AF']) {
      assert.ok(pathProblem(bad), `${bad} should be refused`);
    }
    for (const good of ['', '/', 'run', '/run', '/a/b-c_d.e~f', '/v1/items/42?x=1&y=%20', "/it's;ok=1@2:3"]) assert.equal(pathProblem(good), null, good);
  });
});

describe('a configured target may be on a private network, never on loopback, link-local or metadata addresses', () => {
  test('public and private-network addresses pass', () => {
    for (const a of ['93.184.215.14', '10.1.2.3', '172.16.0.1', '192.168.1.1', 'fd12:3456::1', '::ffff:10.0.0.1', '2606:4700::1111']) assert.equal(targetAddressReason(a), null, a);
  });
  test('loopback, link-local, metadata, CGNAT and the other special ranges are refused', () => {
    for (const a of ['127.0.0.1', '::1', '169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '100.100.100.200', '0.0.0.0', 'fe80::1', '224.0.0.1', '168.63.129.16']) {
      assert.ok(targetAddressReason(a), a);
    }
    assert.match(targetAddressReason('fd00:ec2::254')!, /AWS instance metadata/);
  });
});

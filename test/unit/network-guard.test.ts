import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../config';
import { checkTarget, guardedLookup, headerProblems, parseAllowList } from '../../network';

const none = parseAllowList(undefined);

describe('the http executor refuses every URL that reaches a non-public address, in any notation', () => {
  const refused: [string, RegExp][] = [
    ['http://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is a link-local address/],
    ['http://[::ffff:169.254.169.254]/', /link-local address \(169\.254\.169\.254 written as IPv6\)/],
    ['http://[::ffff:a9fe:a9fe]/', /link-local/],
    ['http://[::169.254.169.254]/', /link-local/],
    ['http://2852039166/', /169\.254\.169\.254 is a link-local address/],
    ['http://0251.0376.0251.0376/', /link-local/],
    ['http://0xa9.0xfe.0xa9.0xfe/', /link-local/],
    ['http://0xa9fea9fe/', /link-local/],
    ['http://127.0.0.1:7233/', /127\.0\.0\.1 is a loopback address/],
    ['http://127.1/', /loopback/],
    ['http://0x7f000001/', /loopback/],
    ['http://017700000001/', /loopback/],
    ['http://[::1]:5432/', /loopback/],
    ['http://[::ffff:127.0.0.1]/', /loopback/],
    ['http://localhost:5432/', /localhost is a loopback name/],
    ['http://LOCALHOST./', /loopback name/],
    ['http://api.localhost/', /loopback name/],
    ['http://0.0.0.0/', /unspecified/],
    ['http://0/', /unspecified/],
    ['http://[::]/', /unspecified/],
    ['http://10.1.2.3/', /private/],
    ['http://172.16.0.1/', /private/],
    ['http://192.168.1.1/', /private/],
    ['http://100.64.0.1/', /carrier-grade NAT/],
    ['http://[fd00::1]/', /unique-local/],
    ['http://[fe80::1]/', /link-local/],
    ['http://224.0.0.1/', /multicast/],
    ['http://[ff02::1]/', /multicast/],
    ['http://255.255.255.255/', /broadcast/],
    ['http://240.0.0.1/', /reserved/],
    ['http://192.0.2.1/', /reserved/],
    ['http://168.63.129.16/', /168\.63\.129\.16 is the Azure WireServer/],
    ['http://[::ffff:168.63.129.16]/', /Azure WireServer/],
    ['http://0xa83f8110/', /Azure WireServer/],
    ['http://[fd00:ec2::254]/', /unique-local/],
    ['http://[2001:db8::1]/', /reserved/],
    ['http://[64:ff9b::a9fe:a9fe]/', /link-local|NAT64/],
    ['http://[2002:a9fe:a9fe::]/', /6to4/],
    ['http://user:pw@example.com/', /user name or password/],
    ['http://user@example.com/', /user name or password/],
    ['ftp://example.com/', /not http or https/],
    ['file:///etc/passwd', /not http or https/],
  ];
  for (const [url, why] of refused) {
    test(`refuses ${url}`, () => {
      const refusal = checkTarget(url, none);
      assert.ok(refusal, `${url} must be refused`);
      assert.match(refusal.message, why);
    });
  }

  test('a refusal says what the operator can do', () => {
    assert.match(checkTarget('http://169.254.169.254/', none)!.message, /INTERLOCK_HTTP_ALLOW_PRIVATE/);
  });

  for (const url of ['https://93.184.215.14/', 'https://example.com/', 'http://example.com:8080/run', 'https://[2606:4700:4700::1111]/', 'http://[::ffff:93.184.215.14]/', 'https://8.8.8.8/dns']) {
    test(`lets ${url} through`, () => assert.equal(checkTarget(url, none), null));
  }
});

describe('INTERLOCK_HTTP_ALLOW_PRIVATE allows exactly the host:port pairs it names', () => {
  test('a listed loopback host:port passes; another port or the default port does not', () => {
    const allow = parseAllowList('127.0.0.1:8080, [::1]:9000,db.internal:5432');
    assert.equal(checkTarget('http://127.0.0.1:8080/run', allow), null);
    assert.equal(checkTarget('http://0x7f.1:8080/run', allow), null, 'compared after URL normalisation');
    assert.equal(checkTarget('http://[0:0::1]:9000/', allow), null);
    assert.ok(checkTarget('http://127.0.0.1:8081/', allow));
    assert.ok(checkTarget('http://127.0.0.1/', allow));
  });

  test('a URL without a port is matched with 80 or 443', () => {
    assert.equal(checkTarget('http://10.0.0.5/', parseAllowList('10.0.0.5:80')), null);
    assert.equal(checkTarget('https://10.0.0.5/', parseAllowList('10.0.0.5:443')), null);
    assert.ok(checkTarget('https://10.0.0.5/', parseAllowList('10.0.0.5:80')));
  });

  test('userinfo is refused even for a listed host', () => {
    assert.ok(checkTarget('http://u:p@127.0.0.1:8080/', parseAllowList('127.0.0.1:8080')));
  });

  for (const bad of ['127.0.0.1', 'http://127.0.0.1:80', '127.0.0.1:0', '127.0.0.1:99999', 'a b:80', 'user@host:80']) {
    test(`"${bad}" is a ConfigError naming the variable`, () => {
      assert.throws(() => loadConfig({ INTERLOCK_HTTP_ALLOW_PRIVATE: bad }), (err: unknown) => err instanceof ConfigError && err.variable === 'INTERLOCK_HTTP_ALLOW_PRIVATE' && err.message.includes(bad));
    });
  }
});

describe('the send-time lookup checks every resolved address and hands the socket only those', () => {
  const run = (addresses: LookupAddress[], all: boolean) =>
    new Promise<{ err: Error | null; result: unknown; refusal: string | null }>((resolve) => {
      let refusal: string | null = null;
      guardedLookup(async () => addresses, (r) => (refusal = r.message))('evil.example', { all }, (err, result) => resolve({ err, result, refusal }));
    });

  test('a name resolving to loopback is refused, naming the name and the address', async () => {
    const { err, refusal } = await run([{ address: '127.0.0.1', family: 4 }], true);
    assert.ok(err);
    assert.match(refusal!, /evil\.example resolves to 127\.0\.0\.1 is a loopback address/);
  });

  test('one non-public address among public ones refuses the whole name', async () => {
    const { err } = await run([{ address: '93.184.215.14', family: 4 }, { address: '::ffff:169.254.169.254', family: 6 }], true);
    assert.ok(err);
  });

  test('public addresses are passed on exactly as checked', async () => {
    const addresses = [{ address: '93.184.215.14', family: 4 }, { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 }];
    assert.deepEqual((await run(addresses, true)).result, addresses);
    assert.equal((await run(addresses, false)).result, '93.184.215.14');
  });
});

describe('execute.headers never carry credentials or replace what Interlock sets', () => {
  for (const name of ['Authorization', 'authorization', 'Proxy-Authorization', 'Cookie', 'X-Api-Key', 'Api-Key', 'X-Auth-Token', 'GitHub-Token', 'Client-Secret']) {
    test(`${name} is refused as a credential`, () => {
      const [p] = headerProblems({ [name]: 'x' });
      assert.equal(p.credential, true);
      assert.equal(p.field, `execute.headers.${name}`);
      assert.match(p.message, /server-side configuration, not in the request/);
    });
  }
  for (const name of ['Idempotency-Key', 'webhook-signature', 'Webhook-Id', 'Content-Type', 'Host', 'Content-Length']) {
    test(`${name} is refused as set by Interlock`, () => assert.match(headerProblems({ [name]: 'x' })[0].message, /set by Interlock/));
  }
  test('a value with CR/LF is refused; ordinary headers pass', () => {
    assert.match(headerProblems({ 'X-Trace': 'a\r\nX-Injected: 1' })[0].message, /line break/);
    assert.match(headerProblems({ 'X Bad': 'a' })[0].message, /not a valid header name/);
    assert.deepEqual(headerProblems({ 'X-Request-Id': 'abc', Accept: 'application/json', 'X-Token-Count': '3' }), []);
  });
});

describe('header names and values a review found passing although they carry credentials', () => {
  for (const name of ['x-goog-api-key', 'x-apikey', 'apikey', 'x-api_key', 'ocp-apim-subscription-key', 'x-functions-key', 'authentication', 'x-auth', 'X-Auth-User', 'X-Upstream-Auth-Hint', 'X-Amz-Security-Token', 'X-Hub-Secret']) {
    test(`${name} is refused as a credential`, () => {
      const problems = headerProblems({ [name]: 'x' });
      assert.equal(problems.length, 1);
      assert.equal(problems[0].credential, true);
      assert.equal(problems[0].field, `execute.headers.${name}`);
    });
  }
  for (const value of ['Bearer eyJhbGciOi', 'bearer abc', 'BASIC dXNlcjpwYXNz', 'Token abc', 'Digest username="u"', '  Bearer x', 'Bearer\tx']) {
    test(`a value "${value}" is refused as a credential whatever the name`, () => {
      const [p] = headerProblems({ 'X-Upstream': value });
      assert.equal(p.credential, true);
      assert.equal(p.field, 'execute.headers.X-Upstream');
      assert.ok(!p.message.includes(value.trim()), 'the message does not repeat the value');
    });
  }
  test('names and values that merely resemble one pass', () => {
    assert.deepEqual(headerProblems({ 'X-Author': 'ann', 'X-Keyboard': 'us', 'X-Key-Id': 'k1', 'X-Tokens-Used': '3', Accept: 'text/plain', 'X-Note': 'Bearers of news', 'X-Mode': 'basic' }), []);
  });
});

describe('header values and names the HTTP client could never send are refused at submission', () => {
  for (const value of ['caf\u00e9', '5 \u20ac', 'a\u0001b', 'bell\u0007', 'del\u007f', '\u{1F600}']) {
    test(`the value ${JSON.stringify(value)} is refused as unsendable`, () => {
      const [p] = headerProblems({ 'X-Note': value });
      assert.equal(p.credential, false);
      assert.equal(p.field, 'execute.headers.X-Note');
      assert.match(p.message, /visible ASCII, space and tab/);
    });
  }
  for (const name of ['Expect', 'upgrade', 'Keep-Alive', 'TE', 'Trailer', 'Proxy-Connection', 'Connection', 'Transfer-Encoding']) {
    test(`${name} is refused`, () => {
      const [p] = headerProblems({ [name]: 'x' });
      assert.equal(p.credential, false);
      assert.equal(p.field, `execute.headers.${name}`);
    });
  }
  test('visible ASCII with spaces and tabs passes', () => assert.deepEqual(headerProblems({ 'X-Note': 'a b\tc ~!"#$%&()*+,-./:;<=>?@[]^_`{|}' }), []));
});

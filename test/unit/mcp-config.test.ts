import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpConfigError, parseMcpConfig } from '../../mcp';

test('mcp.yaml: stdio and Streamable HTTP servers, hold and repeat_window, with defaults', () => {
  const c = parseMcpConfig(`hold: 20s
repeat_window: 5m
servers:
  files: {command: npx, args: ["@modelcontextprotocol/server-filesystem", "/srv/data"], env: {TOKEN: "\${env:FILES_TOKEN}"}}
  tickets: {url: "https://tickets.internal/mcp", headers: {Authorization: "Bearer \${env:TICKETS_TOKEN}"}, resources: {close: "ticket://{id}"}}
`);
  assert.equal(c.holdSeconds, 20);
  assert.equal(c.repeatWindowSeconds, 300);
  assert.deepEqual(c.servers.map((s) => [s.name, s.kind]), [['files', 'stdio'], ['tickets', 'http']]);
  assert.deepEqual(parseMcpConfig('servers: {a: {command: x}}').servers[0], { name: 'a', kind: 'stdio', command: 'x', args: [], env: {}, cwd: null, resources: {} });
  const empty = parseMcpConfig('');
  assert.equal(empty.holdSeconds, 45);
  assert.equal(empty.repeatWindowSeconds, 600);
});

test('mcp.yaml: every problem is named with its file, line and key', () => {
  const text = `hold: 2m
servers:
  files: {command: npx, args: "not a list"}
  both: {command: x, url: "https://x/"}
  bad__name: {command: x}
  remote: {url: "ftp://x/", headers: {Authorization: "Bearer \${env:not-a-name}"}}
  typo: {comand: x}
`;
  assert.throws(() => parseMcpConfig(text, '/etc/interlock/mcp.yaml'), (err: unknown) => {
    assert.ok(err instanceof McpConfigError);
    const m = err.message;
    assert.match(m, /mcp\.yaml:1: hold: .*at most 55s/);
    assert.match(m, /mcp\.yaml:3: servers\.files\.args: must be a list of strings/);
    assert.match(m, /mcp\.yaml:4: servers\.both: give either command/);
    assert.match(m, /mcp\.yaml:5: servers\.bad__name: a server name/);
    assert.match(m, /mcp\.yaml:6: servers\.remote\.url: "ftp:\/\/x\/" is not an http\(s\) URL/);
    assert.match(m, /mcp\.yaml:6: servers\.remote\.headers\.Authorization: .*not an environment variable name/);
    assert.match(m, /mcp\.yaml:7: servers\.typo: needs command/);
    return true;
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Action } from '../../domain/action';
import { paramsForDisplay } from '../../channels/slack/params-display';
import { requestMessage } from '../../channels/slack/request-message';

const ctx = { actionUrl: (id: string) => `https://interlock.example/v1/actions/${id}`, temporalUrl: (id: string) => `https://temporal.example/${id}`, slackIdsOf: () => ['U0CAROL'] };

function action(overrides: Partial<Action> = {}): Action {
  return {
    id: 'act_01TEST', action: 'db.export', resource: 'postgres://prod/customers', environment: 'production', params: {}, justification: null,
    requester: 'svc:etl-bot', onBehalfOf: null, context: {}, execute: { type: 'none' }, breakGlass: false, status: 'pending_approval',
    decision: {
      outcome: 'require_approval', ruleId: 'prod-data-export', policyVersion: `sha256:${'a'.repeat(64)}`, approvers: { groups: ['data-owners'], principals: [] },
      quorum: 2, distinctGroups: false, escalationLevel: 0, escalation: [{ afterSeconds: 600, groups: ['security-oncall'], principals: [] }],
      expiresAt: '2030-01-01T00:00:00.000Z', risk: 'high', controls: ['SOC2:CC6.1'], reason: 'r', breakGlass: false, requireJustification: false, slackChannel: '#c',
    },
    approvals: [], result: null, statusReason: null, grantExpiresAt: null, createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z',
    ...overrides,
  };
}

describe('the Slack request message', () => {
  test('secret-looking keys are redacted at any depth, other values kept', () => {
    const shown = JSON.parse(paramsForDisplay({ user: 'x', PASSWORD: 'p', passwd: 'p', db: { authHeader: 'a', port: 5432, creds: [{ credential: 'c', apiKey: 'k' }] }, sessionToken: 't', secret_name: 's', tokenizer: 'bpe' }));
    assert.deepEqual(shown, { user: 'x', PASSWORD: '[redacted]', passwd: '[redacted]', db: { authHeader: '[redacted]', port: 5432, creds: [{ credential: '[redacted]', apiKey: '[redacted]' }] }, sessionToken: '[redacted]', secret_name: '[redacted]', tokenizer: 'bpe' });
  });

  test('large parameters are cut, and every block stays inside Slack\'s limits', () => {
    const huge = { rows: Array.from({ length: 2000 }, (_, i) => ({ id: i, note: 'x'.repeat(20) })) };
    assert.ok(paramsForDisplay(huge).length < 2600);
    const message = requestMessage(action({ params: huge, justification: 'j'.repeat(10_000), resource: 'r'.repeat(5000), action: 'a'.repeat(200) }), ctx);
    assert.ok(message.blocks.length <= 50);
    for (const block of message.blocks as any[]) {
      if (block.type === 'header') assert.ok(block.text.text.length <= 150);
      if (block.text) assert.ok(block.text.text.length <= 3000);
      for (const f of block.fields ?? []) assert.ok(f.text.length <= 2000);
    }
    assert.ok(message.text.length <= 3000);
  });

  test('an escalated request names the added group and mentions its mapped members; a closed one has no buttons', () => {
    const escalated = requestMessage(action({ decision: { ...action().decision!, escalationLevel: 1 } }), ctx);
    assert.match(JSON.stringify(escalated.blocks), /Escalated \(level 1\) to group security-oncall: <@U0CAROL>/);
    const cancelled = requestMessage(action({ status: 'cancelled', statusReason: 'cancelled by svc:etl-bot: <!here> wrong table' }), ctx);
    const text = JSON.stringify(cancelled.blocks);
    assert.ok(!cancelled.blocks.some((b) => b.type === 'actions'));
    assert.ok(text.includes('*Cancelled*: cancelled by svc:etl-bot: &lt;!here&gt; wrong table'));
    const expired = requestMessage(action({ status: 'expired', statusReason: 'no quorum before 2030 (1 of 2 approvals)' }), ctx);
    assert.ok(JSON.stringify(expired.blocks).includes('*Expired*: no quorum'));
  });

  test('an http action shows the method, URL and body it will send, the body as a clipped code block', () => {
    const execute = { type: 'http' as const, method: 'PUT', url: 'https://exporter.example/run?<!channel>', body: { table: 'customers', password: 'p', note: 'n'.repeat(5000) } };
    const message = requestMessage(action({ execute }), ctx);
    const block = (message.blocks as any[]).find((b) => b.text?.text.startsWith('*Will send*'));
    assert.ok(block, 'a block shows the request');
    const text: string = block.text.text;
    assert.ok(text.includes('`PUT https://exporter.example/run?&lt;!channel&gt;`'), text.slice(0, 200));
    assert.match(text, /```\{\n {2}"table": "customers",\n {2}"password": "\[redacted\]"/);
    assert.ok(text.endsWith('```') && text.length <= 3000);
    const gate = requestMessage(action(), ctx);
    assert.ok(!JSON.stringify(gate.blocks).includes('Will send'), 'gate mode sends nothing');
  });
});

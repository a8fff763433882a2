import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { installTracing } from '../../observability';
import { sinkTargets, startSink } from '../support/sink';
import { startStack, type TestStack } from '../support/stack';

const policy = readFileSync(new URL('../fixtures/flow-policy.yaml', import.meta.url), 'utf8');
const BOT = 'svc:etl-bot';
const SECRET = 'whsec_' + Buffer.from('interlock-test-secret-0123456789ab').toString('base64');

describe('one action is one trace: the HTTP request, its workflow and the workflow activities', () => {
  const exporter = new InMemorySpanExporter();
  let stack: TestStack;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let id = '';
  before(async () => {
    installTracing({ exporter: new SimpleSpanProcessor(exporter), serviceName: 'interlock-test' }); // before the stack: its worker takes this provider
    sink = await startSink(SECRET);
    stack = await startStack({ policy, targets: sinkTargets({ sink }), env: { INTERLOCK_WEBHOOK_SECRET: SECRET, INTERLOCK_HTTP_ALLOW_PRIVATE: sink.hostPort } });
    const a = await stack.submit(BOT, { action: 'svc.call', resource: 'svc://x', execute: { type: 'http', target: 'sink', path: '/run' } });
    id = a.id;
    await stack.until(BOT, id, (x) => x.status === 'succeeded');
  });
  after(async () => {
    await stack?.stop();
    await sink?.close();
  });

  const parentOf = (s: ReadableSpan) => s.parentSpanId;

  test('the submit span is the root; the workflow start, the run and every activity are in its trace', async () => {
    const end = Date.now() + 10_000;
    let spans: ReadableSpan[] = [];
    const named = (prefix: string) => spans.filter((s) => s.name.startsWith(prefix));
    // Workflow spans arrive through the sink once the workflow task that made them completes.
    while (Date.now() < end && named('RunActivity:runExecutor').length === 0) {
      spans = exporter.getFinishedSpans();
      await new Promise((r) => setTimeout(r, 100));
    }
    const [http] = spans.filter((s) => s.name === 'POST /v1/actions');
    assert.ok(http, `an HTTP span; got ${spans.map((s) => s.name).join(', ')}`);
    assert.equal(http.attributes['http.response.status_code'], 202);
    const trace = spans.filter((s) => s.spanContext().traceId === http.spanContext().traceId);
    const names = new Set(trace.map((s) => s.name));
    // The start is an Update-with-Start (the submission answers with the recorded decision), handled in the workflow.
    for (const n of ['UpdateWithStartWorkflow:submitted', 'HandleUpdate:submitted', 'RunWorkflow:actionWorkflow', 'StartActivity:recordStep', 'RunActivity:recordStep', 'StartActivity:runExecutor', 'RunActivity:runExecutor']) assert.ok(names.has(n), `${n} in the trace; it has ${[...names].join(', ')}`);
    const [start] = trace.filter((s) => s.name === 'UpdateWithStartWorkflow:submitted');
    assert.equal(parentOf(start), http.spanContext().spanId, 'the workflow start is a child of the HTTP request');
    const byId = new Map(trace.map((s) => [s.spanContext().spanId, s]));
    for (const s of trace.filter((x) => x.name.startsWith('RunActivity:'))) {
      let at: ReadableSpan | undefined = s;
      while (at && at !== http) at = byId.get(parentOf(at) ?? '');
      assert.equal(at, http, `${s.name} descends from the HTTP span`);
    }
    assert.ok(!JSON.stringify(trace.map((s) => s.attributes)).includes(SECRET), 'no secret in any span');
    assert.ok(id);
  });
});

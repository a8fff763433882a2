/**
 * Workflow unit tests: the real workflow code on Temporal's time-skipping test server, with activities mocked
 * from the real factory's type, so hours of timers run in milliseconds. One server per test file; each test
 * gets its own worker on a unique task queue and its own mocks, so it stands alone.
 */
import { after, before } from 'node:test';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { ActionChange, createActivities, FailClosedReport, RecordStepInput } from '../../activities';
import type { Action, Execute } from '../../domain/action';
import type { PolicyDecision } from '../../domain/decision';
import type { Principal } from '../../domain/principal';
import { LOCAL_TEST_SERVER } from '../../devserver';
import { workflowBundle, workflowSinks } from '../../worker';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/search-attributes';
import { decideUpdate, WORKFLOW_TYPE, type ActionWorkflowInput, type DecideInput, type Refusal } from '../../workflows/messages';

/** temporal.api.enums.v1.IndexedValueType.KEYWORD (the proto package is not a direct dependency). */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

export type Activities = ReturnType<typeof createActivities>;

/** One time-skipping server and one worker per test file; each workflow gets the mocks of the test that started it. */
export interface Testbed {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  sleep(duration: string): Promise<void>;
  teardown(): Promise<void>;
}

const mocksByWorkflow = new Map<string, Activities>();
const started: WorkflowHandle[] = [];

/** The activities a workflow of this test calls: looked up by the workflow id of the calling activity. */
function dispatching(): Activities {
  const route = <K extends keyof Activities>(name: K) =>
    ((...args: unknown[]) => {
      const mocks = mocksByWorkflow.get(Context.current().info.workflowExecution?.workflowId ?? '');
      if (!mocks) throw ApplicationFailure.nonRetryable(`no test owns this workflow (${name})`, 'NoTest');
      return (mocks[name] as (...a: unknown[]) => unknown)(...args);
    }) as Activities[K];
  return { recordStep: route('recordStep'), notifyActionChange: route('notifyActionChange'), runExecutor: route('runExecutor'), executeHttp: route('executeHttp'), evaluatePolicy: route('evaluatePolicy'), reportFailClosed: route('reportFailClosed') };
}

/**
 * The time-skipping server on the binary `.tools/` holds (the SDK's own download is not reachable here), and a
 * worker that serves every test of the file. The worker stays up until teardown: a workflow cut off mid-task
 * would hold the test server's clock and stop time skipping for every later test.
 */
export async function startTestbed(): Promise<Testbed> {
  Runtime.install({ logger: new DefaultLogger('WARN') }); // the worker's INFO lines would bury the test report
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: LOCAL_TEST_SERVER } } });
  // The test server refuses upserts of search attributes it does not know, as a real cluster would.
  const searchAttributes = Object.fromEntries(SEARCH_ATTRIBUTE_NAMES.map((name) => [name, INDEXED_VALUE_TYPE_KEYWORD]));
  await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes });
  const taskQueue = `wf-test-${randomUUID()}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), sinks: workflowSinks(), activities: dispatching(), maxHeartbeatThrottleInterval: '1s' }); // as worker/ does
  const running = worker.run();
  return {
    env,
    taskQueue,
    sleep: (d) => env.sleep(d as never),
    async teardown() {
      await Promise.all(started.map((h) => h.terminate('test file over').catch(() => undefined)));
      worker.shutdown();
      await running;
      await env.teardown();
    },
  };
}

/** A policy decision as `policy/` would give it; a test names only what it is about. */
export function decision(over: Partial<PolicyDecision> = {}): PolicyDecision {
  return {
    outcome: 'require_approval',
    ruleId: 'test-rule',
    policyVersion: 'sha256:test',
    approvers: { groups: ['data-owners'], principals: [] },
    quorum: 1,
    distinctGroups: false,
    timeoutSeconds: 3600,
    escalation: [],
    risk: 'high',
    controls: [],
    notify: {},
    requireJustification: false,
    maxParamsBytes: null,
    grantSeconds: null,
    breakGlassGroups: [],
    reason: 'matched test-rule',
    ...over,
  };
}

export const human = (id: string, groups: string[], extra: Partial<Principal> = {}): Principal => ({ id, kind: 'human', groups, ...extra });
export const requester = human('rita@example.com', ['engineers'], { slack: 'U0RITA' });
export const etlBot: Principal = { id: 'svc:etl-bot', kind: 'service', groups: ['data-owners'] };

export function workflowInput(over: { decision?: PolicyDecision; execute?: Execute; onBehalfOf?: string | null; requester?: Principal; breakGlass?: boolean } = {}): ActionWorkflowInput {
  return {
    id: `act_${randomUUID()}`,
    submission: {
      action: 'db.drop_table',
      resource: 'postgres://prod/users',
      environment: 'production',
      params: {},
      context: {},
      breakGlass: over.breakGlass ?? false,
      justification: 'cleanup',
      onBehalfOf: over.onBehalfOf ?? null,
      execute: over.execute ?? { type: 'none' },
    },
    requester: over.requester ?? requester,
    submittedAt: new Date().toISOString(),
    executeHash: over.execute?.type === 'http' ? `sha256:${'0'.repeat(64)}` : undefined,
    decision: over.decision ?? decision(),
  };
}

/** What the mocked activities saw, in order. */
export interface Recorded {
  steps: RecordStepInput[];
  notified: ActionChange[];
  executed: Parameters<Activities['runExecutor']>[0][];
  failClosed: FailClosedReport[];
  /** Every audit event written, in order. */
  events(): RecordStepInput['events'];
  eventTypes(): string[];
}

export interface Run extends Recorded {
  env: TestWorkflowEnvironment;
  start(input?: ActionWorkflowInput): Promise<WorkflowHandle>;
}

/**
 * Resolves once `check` holds, polling every few milliseconds of real time (workflow time does not move:
 * only awaiting a result or `env.sleep` skips it). For steps no activity call marks, such as a query's field.
 */
export async function until(check: () => boolean | Promise<boolean>, what = 'the condition'): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until the workflow has told the channels of a change of this kind (it is then in that state). */
export const notifiedOf = (run: Recorded, kind: ActionChange['kind'], count = 1) => until(() => run.notified.filter((c) => c.kind === kind).length >= count, `notification "${kind}" #${count}`);

export const vote = (handle: WorkflowHandle, principal: DecideInput['principal'], decision: DecideInput['decision'] = 'approve', comment?: string) =>
  handle.executeUpdate(decideUpdate, { args: [{ principal, decision, via: 'api', comment }] });

/** Asserts that the update was refused by its validator with this ApplicationFailure type (a `Refusal`). */
export async function refused(update: Promise<unknown>, type: Refusal): Promise<void> {
  await assert.rejects(update, (err: unknown) => {
    assert.ok(err instanceof WorkflowUpdateFailedError, `expected a refused update, got ${String(err)}`);
    assert.ok(err.cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err.cause)}`);
    assert.equal(err.cause.type, type, err.cause.message);
    return true;
  });
}

/** An activity that waits until the test releases it: to hold the workflow at a step while something races it. */
export function gate(): { wait: Promise<void>; release: () => void } {
  let release!: () => void;
  const wait = new Promise<void>((r) => (release = r));
  return { wait, release };
}

/**
 * Runs one test's workflows on the file's worker: `mock` replaces any activity for the workflows this test
 * starts (defaults record what they are given and succeed), so each test stands alone.
 */
export async function withWorker(bed: Testbed, mock: (r: Recorded) => Partial<Activities>, fn: (run: Run) => Promise<void>): Promise<void> {
  const recorded: Recorded = {
    steps: [],
    notified: [],
    executed: [],
    failClosed: [],
    events: () => recorded.steps.flatMap((s) => s.events),
    eventTypes: () => recorded.steps.flatMap((s) => s.events.map((e) => e.type)),
  };
  const activities: Activities = {
    recordStep: async (step) => void recorded.steps.push(step),
    notifyActionChange: async (change) => void recorded.notified.push(change),
    runExecutor: async (input) => {
      recorded.executed.push(input);
      return { status: 'succeeded', httpStatus: 200, output: 'ok' };
    },
    executeHttp: async () => {
      throw new Error('new workflows call runExecutor, never executeHttp');
    },
    evaluatePolicy: async () => {
      throw new Error('new workflows carry the decision in their input, never evaluatePolicy');
    },
    reportFailClosed: async (report) => void recorded.failClosed.push(report),
    ...mock(recorded),
  };
  const start = async (input = workflowInput()) => {
    mocksByWorkflow.set(input.id, activities);
    const handle = await bed.env.client.workflow.start(WORKFLOW_TYPE, { taskQueue: bed.taskQueue, workflowId: input.id, args: [input] });
    started.push(handle);
    return handle;
  };
  await fn({ ...recorded, env: bed.env, start });
}

/** The final Action of a workflow (time skips while the result is awaited). */
export const resultOf = (handle: WorkflowHandle): Promise<Action> => handle.result();

/** Starts one testbed for the test file (before its tests) and tears it down after them. */
export function suiteTestbed(): { readonly env: Testbed } {
  const held = {} as { env: Testbed };
  before(async () => {
    held.env = await startTestbed();
  });
  after(async () => {
    await held.env?.teardown();
  });
  return held;
}

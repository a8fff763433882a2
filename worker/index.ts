// The Temporal worker: bundles the workflow code once and runs it with the activities wired to the process's services.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { Channel } from '../channels';
import { temporalConnectionOptions } from '../config';
import { installTracing, tracingWorkerOptions, WORKFLOW_TRACING_MODULE } from '../observability';
import type { Services } from '../services';
import { installTemporalLogging, temporalSdkMetrics } from './runtime';

const workflowsPath = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'workflows', 'index.ts');

let bundle: Promise<WorkflowBundleOption> | null = null;
/** Workflow code is bundled once per process; every worker in it reuses the bundle. */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  // The test runner bundles once for all test processes and passes the file.
  const prebuilt = process.env.INTERLOCK_WORKFLOW_BUNDLE;
  bundle ??= prebuilt ? Promise.resolve({ codePath: prebuilt }) : bundleWorkflows();
  return bundle;
}

/** Bundles the workflow code, reporting only errors. */
export function bundleWorkflows(): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, workflowInterceptorModules: [WORKFLOW_TRACING_MODULE], logger: quietBundlerLogger });
}

const quietBundlerLogger = { trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m), log() {} } as never;

/** The sinks every worker of the bundle registers (replays and tests too): the workflow spans' exporter. */
export function workflowSinks() {
  return tracingWorkerOptions(installTracing({ serviceName: 'interlock-worker' })).sinks;
}

export interface RunningWorker {
  worker: Worker;
  /** Settles when the worker has stopped (after `shutdown`). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/** Starts polling the task queue with real activities wired to the process's services. */
export async function startWorker(services: Services, opts: { address: string; taskQueue?: string; channels?: readonly Channel[]; connection?: NativeConnection }): Promise<RunningWorker> {
  const { config } = services;
  await installTemporalLogging(services.log);
  services.metrics.include(temporalSdkMetrics);
  const connection = opts.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config, opts.address)));
  const tracing = tracingWorkerOptions(installTracing({ serviceName: 'interlock-worker' }));
  const worker = await Worker.create({
    interceptors: { activity: tracing.activity },
    sinks: tracing.sinks,
    connection,
    namespace: config.temporalNamespace,
    taskQueue: opts.taskQueue ?? config.taskQueue,
    workflowBundle: await workflowBundle(),
    activities: createActivities({ db: services.database.db, audit: services.audit, policy: services.policy, webhookSecret: config.webhookSecret, httpAllowPrivate: config.httpAllowPrivate, targets: services.targets, channels: opts.channels, metrics: services.metrics }),
    shutdownGraceTime: '10s',
    // Bounded: pending approvals wait hours; an evicted workflow replays on its next vote instead of holding memory.
    maxCachedWorkflows: config.workerCacheSize,
    // Executors heartbeat every second; flushed at most a second apart, a cancel reaches a running execution within about that.
    maxHeartbeatThrottleInterval: '1s',
  });
  const done = worker.run().finally(async () => {
    if (!opts.connection) await connection.close().catch(() => {});
  });
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

export { installTemporalLogging, temporalSdkMetrics } from './runtime';

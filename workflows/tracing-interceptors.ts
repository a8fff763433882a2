// The workflow side of tracing, bundled as the workflow interceptor module: OpenTelemetry's workflow interceptors,
// engaged only for a workflow started with a trace context (the client's `_tracer-data` header carrying a
// `traceparent`, which the API sends only when tracing is on). With tracing off, a workflow makes no spans at all:
// measured, the always-on interceptors were about a third of the worker's CPU per action. Interceptors issue no
// commands, so a workflow replays the same either way.
import { defaultPayloadConverter } from '@temporalio/common';
import type * as OtelWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow';
import type { Payload } from '@temporalio/common';
import type { WorkflowInboundCallsInterceptor, WorkflowInterceptors, WorkflowInternalsInterceptor, WorkflowOutboundCallsInterceptor } from '@temporalio/workflow';

const TRACE_HEADER = '_tracer-data';

declare const require: (id: string) => unknown;
/**
 * OpenTelemetry's workflow modules (about half the bundle, with the SDK's tracing packages) are loaded only by a
 * traced workflow: the bundle's modules are evaluated for every workflow run, so an untraced one never pays for them.
 */
const otel = () => require('@temporalio/interceptors-opentelemetry/lib/workflow') as typeof OtelWorkflow;

function carriesTrace(headers: Record<string, Payload> | undefined): boolean {
  const encoded = headers?.[TRACE_HEADER];
  if (!encoded) return false;
  try {
    const carrier = defaultPayloadConverter.fromPayload<Record<string, unknown>>(encoded);
    return typeof carrier?.traceparent === 'string';
  } catch {
    return false;
  }
}

type AnyFn = (input: any, next: any) => any;

/** Each of `names` goes to the interceptor `make` builds (once, on first use) while this workflow is traced, else straight on. */
function gated<T extends object>(make: () => T, names: string[], traced: () => boolean): T {
  let inner: T | null = null;
  const out: Record<string, AnyFn> = {};
  for (const name of names) {
    out[name] = (input, next) => {
      if (!traced()) return next(input);
      inner ??= make();
      const fn = (inner as Record<string, AnyFn | undefined>)[name];
      return typeof fn === 'function' ? fn.call(inner, input, next) : next(input);
    };
  }
  return out as T;
}

export const interceptors = (): WorkflowInterceptors => {
  let traced = false;
  const on = () => traced;
  const inbound = gated<WorkflowInboundCallsInterceptor>(() => new (otel().OpenTelemetryInboundInterceptor)(), ['execute', 'handleSignal', 'handleUpdate', 'validateUpdate', 'handleQuery'], on);
  const execute = inbound.execute!;
  inbound.execute = (input, next) => {
    traced = carriesTrace(input.headers);
    return execute(input, next);
  };
  return {
    inbound: [inbound],
    outbound: [gated<WorkflowOutboundCallsInterceptor>(() => new (otel().OpenTelemetryOutboundInterceptor)(), ['scheduleActivity', 'scheduleLocalActivity', 'startNexusOperation', 'startChildWorkflowExecution', 'continueAsNew', 'signalWorkflow', 'getLogAttributes', 'getMetricTags'], on)],
    internals: [gated<WorkflowInternalsInterceptor>(() => new (otel().OpenTelemetryInternalsInterceptor)(), ['dispose', 'activate', 'concludeActivation'], on)],
  };
};

// Traces: one OpenTelemetry provider per process, exporting by OTLP when the standard OTEL_* variables ask for it.
import { fileURLToPath } from 'node:url';
import { context, propagation, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NoopSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, OpenTelemetryWorkflowClientInterceptor, makeWorkflowExporter } from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks } from '@temporalio/worker';

export interface Tracing {
  enabled: boolean;
  /** Where the worker's workflow spans (made in the sandbox, sent through a sink) go. */
  spanProcessor: SpanProcessor;
  resource: Resource;
  shutdown(): Promise<void>;
}

let installed: Tracing | null = null;

/** Whether the environment asks for OTLP export (an endpoint set, the SDK not disabled). */
export function otlpRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Installs the process's tracer provider once: with `exporter` (tests: an in-memory one), or OTLP over HTTP when
 * OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set (the exporter reads the other OTEL_* variables itself),
 * and off otherwise. Later calls return the first installation.
 */
export function installTracing(opts: { serviceName?: string; exporter?: SpanProcessor | SpanExporter; env?: NodeJS.ProcessEnv } = {}): Tracing {
  if (installed) return installed;
  const env = opts.env ?? process.env;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME || opts.serviceName || 'interlock' });
  const processor = opts.exporter ? asProcessor(opts.exporter) : otlpRequested(env) ? new BatchSpanProcessor(new OTLPTraceExporter()) : null;
  if (!processor) {
    installed = { enabled: false, spanProcessor: new NoopSpanProcessor(), resource, shutdown: async () => {} };
    return installed;
  }
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register(); // global provider, AsyncLocalStorage context, W3C trace context propagation
  installed = { enabled: true, spanProcessor: processor, resource, shutdown: () => provider.shutdown() };
  return installed;
}

function asProcessor(p: SpanProcessor | SpanExporter): SpanProcessor {
  if ('onStart' in p) return p;
  // A bare exporter (tests): each span handed over as it ends.
  return { onStart() {}, onEnd: (span) => p.export([span], () => {}), forceFlush: async () => {}, shutdown: () => p.shutdown() };
}

const tracer = () => trace.getTracer('interlock');

/** The server span of one HTTP request, continuing a `traceparent` the caller sent. */
export function startHttpSpan(req: { method: string; url: string; headers: Record<string, unknown> }, route: string): { span: Span; ctx: Context } {
  const parent = propagation.extract(context.active(), req.headers);
  const span = tracer().startSpan(`${req.method} ${route}`, { kind: SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': req.url.split('?')[0] } }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

export function endHttpSpan(span: Span, statusCode: number): void {
  span.setAttribute('http.response.status_code', statusCode);
  if (statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

export { context as traceContext };

/** The workflow interceptor module every bundle includes (histories look the same with tracing on or off): */
/** OpenTelemetry's workflow interceptors, engaged only for workflows started with a trace context (workflows/tracing-interceptors.ts). */
export const WORKFLOW_TRACING_MODULE = fileURLToPath(new URL('../workflows/tracing-interceptors.ts', import.meta.url));

/** For every Temporal client: starts and Updates carry the caller's trace context into the workflow. */
export function tracingClientInterceptors() {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

/** For every worker: activity spans under the workflow's, and the sink the sandbox sends workflow spans through. */
export function tracingWorkerOptions(t: Tracing): { activity: ActivityInterceptorsFactory[]; sinks: InjectedSinks<never> } {
  return {
    activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    sinks: { exporter: makeWorkflowExporter(t.spanProcessor, t.resource) } as never,
  };
}

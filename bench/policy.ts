import { compilePolicy, type CompiledPolicy, type PolicyInput } from '../policy';
import { seededRandom as random } from '../test/support/random';

export const name = 'policy';

const SERVICES = ['billing', 'orders', 'ledger', 'search', 'identity', 'payments', 'catalog', 'shipping', 'reports', 'crm'];
const KINDS = ['deploy', 'read', 'ops', 'export', 'delete', 'resource', 'scale'] as const;
type Kind = (typeof KINDS)[number];

interface GeneratedRule {
  yaml: string;
  /** An input this rule matches (an earlier rule may still win, as in real policies). */
  hit: PolicyInput;
}

const requester = (groups: string[], kind = 'human') => ({ id: 'bench@example.com', kind, groups });
const base = { resource: 'app://x', params: {}, context: {}, onBehalfOf: null };

/** One rule of a realistic mix: equality, `in` lists, startsWith, environment, group membership, params with has(). */
function generateRule(i: number, kind: Kind): GeneratedRule {
  const svc = `${SERVICES[i % SERVICES.length]}${Math.floor(i / SERVICES.length)}`;
  const approval = (groups: string) => `    decision: require_approval\n    approvers: {groups: [${groups}], quorum: 1}\n    timeout: 30m\n    risk: high`;
  const rule = (when: string, rest: string) => `  - id: r${i}-${kind}-${svc}\n    when: '${when}'\n${rest}`;
  switch (kind) {
    case 'deploy':
      return { yaml: rule(`action == "${svc}.deploy" && environment == "production"`, approval(`${svc}-owners`)), hit: { ...base, action: `${svc}.deploy`, environment: 'production', requester: requester(['devs']) } };
    case 'read':
      return { yaml: rule(`action.startsWith("${svc}.read.") && environment != "production"`, '    decision: allow'), hit: { ...base, action: `${svc}.read.items`, environment: 'staging', requester: requester(['devs']) } };
    case 'ops':
      return { yaml: rule(`action in ["${svc}.restart", "${svc}.flush"] && environment != "production"`, '    decision: allow'), hit: { ...base, action: `${svc}.restart`, environment: 'staging', requester: requester(['sre']) } };
    case 'export':
      return { yaml: rule(`action == "${svc}.export" && "data-owners" in requester.groups`, approval('data-owners, security')), hit: { ...base, action: `${svc}.export`, environment: 'production', requester: requester(['data-owners']) } };
    case 'delete':
      return { yaml: rule(`action == "${svc}.delete" && has(params.table) && params.table == "customers"`, '    decision: deny\n    risk: critical'), hit: { ...base, action: `${svc}.delete`, environment: 'production', params: { table: 'customers' }, requester: requester(['devs']) } };
    case 'resource':
      return { yaml: rule(`resource.startsWith("postgres://prod/${svc}/") && requester.kind == "service"`, approval('dba')), hit: { ...base, action: `${svc}.query`, resource: `postgres://prod/${svc}/main`, environment: 'production', requester: requester(['pipelines'], 'service') } };
    case 'scale':
      return { yaml: rule(`action == "${svc}.scale" && has(params.replicas) && params.replicas > 10`, approval(`${svc}-owners`)), hit: { ...base, action: `${svc}.scale`, environment: 'production', params: { replicas: 20 }, requester: requester(['sre']) } };
  }
}

/** A policy of `size` rules plus queries whose matches spread over the list; about 10% match nothing. */
export function generatePolicy(size: number, queries: number): { text: string; inputs: PolicyInput[] } {
  const rnd = random(size);
  const rules = Array.from({ length: size }, (_, i) => generateRule(i, KINDS[Math.floor(rnd() * KINDS.length)]));
  const text = `version: 1\ndefaults:\n  decision: deny\n  timeout: 1h\nrules:\n${rules.map((r) => r.yaml).join('\n')}\n`;
  const inputs = Array.from({ length: queries }, (_, q): PolicyInput => {
    if (rnd() < 0.1) return { ...base, action: `unknown${q}.noop`, environment: 'production', requester: requester(['devs']) };
    return rules[Math.floor(rnd() * size)].hit;
  });
  return { text, inputs };
}

const nsToUs = (ns: number) => (ns / 1000).toFixed(2);
const percentile = (sorted: Float64Array, p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** Median of `runs` timings of `fn`, in ns. */
function medianNs(runs: number, fn: () => void): number {
  const times = Array.from({ length: runs }, () => {
    const t0 = process.hrtime.bigint();
    fn();
    return Number(process.hrtime.bigint() - t0);
  }).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function measure(policy: CompiledPolicy, inputs: PolicyInput[], calls: number) {
  let sink = 0;
  for (let i = 0; i < Math.min(calls, 20_000); i++) sink += policy.evaluate(inputs[i % inputs.length]).quorum; // warm up the JIT
  const timerOverhead = medianNs(10_001, () => {});
  const samples = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    const input = inputs[i % inputs.length];
    const t0 = process.hrtime.bigint();
    sink += policy.evaluate(input).quorum;
    samples[i] = Number(process.hrtime.bigint() - t0);
  }
  samples.sort();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) sink += policy.evaluate(inputs[i % inputs.length]).quorum;
  const batchNs = Number(process.hrtime.bigint() - t0);
  const fellThrough = inputs.filter((x) => policy.evaluate(x).ruleId === null).length / inputs.length;
  return { p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), perSecond: (calls / batchNs) * 1e9, meanNs: batchNs / calls, timerOverhead, fellThrough, sink };
}

export async function run(opts: { quick: boolean; log: (s: string) => void }): Promise<string> {
  const calls = opts.quick ? 30_000 : 300_000;
  const rows: string[] = [];
  let overhead = 0;
  compilePolicy(generatePolicy(10, 1).text); // first use builds the shared CEL environment; keep it out of the figures
  for (const size of [10, 100, 1000]) {
    const { text, inputs } = generatePolicy(size, 2000);
    const compileNs = medianNs(opts.quick ? 3 : 7, () => compilePolicy(text));
    const policy = compilePolicy(text);
    opts.log(`policy: ${size} rules compiled in ${(compileNs / 1e6).toFixed(1)} ms; timing ${calls} decisions`);
    const m = measure(policy, inputs, calls);
    overhead = m.timerOverhead;
    rows.push(`| ${size} | ${(compileNs / 1e6).toFixed(1)} | ${Math.round(m.perSecond).toLocaleString('en-US')} | ${nsToUs(m.meanNs)} | ${nsToUs(m.p50)} | ${nsToUs(m.p99)} | ${Math.round(m.fellThrough * 100)}% |`);
    opts.log(`policy: ${size} rules: p50 ${nsToUs(m.p50)} µs, p99 ${nsToUs(m.p99)} µs, ${Math.round(m.perSecond)} decisions/s`);
  }
  return [
    `Generated policies (rule mix: action equality, \`in\` lists, \`startsWith\`, environment checks, \`requester.groups\` membership,`,
    `\`has(params.x)\` checks, resource prefixes), queried with inputs whose matching rule is spread over the whole list;`,
    `the rest match nothing and fall through to the default. ${calls.toLocaleString('en-US')} decisions per size.`,
    '',
    '| rules | compile (ms, median) | decisions/s (batch) | mean µs (batch) | p50 µs (per call) | p99 µs (per call) | fell through |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Per-call latencies are single \`process.hrtime.bigint()\` pairs around one \`evaluate()\`; they include the timer's own cost`,
    `(median ${overhead} ns on this machine). Decisions/s and the mean come from one untimed-per-call batch loop.`,
    'A rule whose condition has a top-level `&&` test on `action` (equality, `in` list, `startsWith`) is skipped without running',
    'CEL when that test fails (exact under CEL\'s `&&` semantics); the resource-prefix rules always run CEL.',
  ].join('\n');
}

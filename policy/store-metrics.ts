import { Counter, Gauge, type Registry } from 'prom-client';

export interface PolicyMetrics {
  loaded(version: string): void;
  rejected(): void;
}

/** The store's Prometheus series. Without a registry they are kept but not exported (tests, CLI). */
export function createPolicyMetrics(registry?: Registry): PolicyMetrics {
  const registers = registry ? [registry] : [];
  // A second store on the same registry (tests, restarts in-process) reuses the series instead of throwing.
  const existing = <T>(name: string) => registry?.getSingleMetric(name) as T | undefined;
  const loadOk =
    existing<Gauge>('interlock_policy_load_ok') ??
    new Gauge({ name: 'interlock_policy_load_ok', help: '1 while the policy file on disk is the one in force, 0 while a broken file is ignored', registers });
  const reloads =
    existing<Counter<'result'>>('interlock_policy_reload_total') ??
    new Counter({ name: 'interlock_policy_reload_total', help: 'Policy load attempts by result (ok or error)', labelNames: ['result'], registers });
  const info =
    existing<Gauge<'version'>>('interlock_policy_info') ??
    new Gauge({ name: 'interlock_policy_info', help: 'The policy version in force (value is always 1)', labelNames: ['version'], registers });
  return {
    loaded(version) {
      loadOk.set(1);
      reloads.inc({ result: 'ok' });
      info.reset();
      info.set({ version }, 1);
    },
    rejected() {
      loadOk.set(0);
      reloads.inc({ result: 'error' });
    },
  };
}

import type { PostgresTarget, Target, TargetSource } from '../../targets/types';

/** A fixed set of targets, as a loaded targets.yaml would give them (data for tests, not a copy of the store). */
export function staticTargets(targets: Target[]): TargetSource & { set(next: Target[]): void } {
  let byName = new Map(targets.map((t) => [t.name, t]));
  return {
    current: () => ({ version: `sha256:test-${byName.size}`, get: (name) => byName.get(name), all: () => [...byName.values()] }),
    set(next) {
      byName = new Map(next.map((t) => [t.name, t]));
    },
  };
}

/** A postgres target whose url is a `${env:NAME}` reference, as operators write it. */
export function postgresTarget(over: Partial<PostgresTarget> & Pick<PostgresTarget, 'name' | 'url' | 'statements'>): PostgresTarget {
  return { type: 'postgres', timeoutSeconds: 30, retry: { attempts: 3, maxIntervalSeconds: 2 }, ...over };
}

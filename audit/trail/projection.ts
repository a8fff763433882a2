import { getTableColumns } from 'drizzle-orm';
import { actions } from '../../db/schema';
import type { Action } from '../../domain/action';

/** An action's latest state, written in the same transaction as the events that describe the change. */
export interface ActionProjection {
  action: Action;
  version: number;
}

/**
 * The batch's projections as rows keyed by column name, for `interlock_append_audit` to upsert in the
 * events' transaction. `version` only moves forward there, so a late or retried write never overwrites a
 * newer state; Postgres refuses one statement touching a row twice, so each action keeps its newest here.
 */
export function projectionRows(projections: ActionProjection[]): Record<string, unknown>[] {
  const newest = new Map<string, ActionProjection>();
  for (const p of projections) if ((newest.get(p.action.id)?.version ?? -1) < p.version) newest.set(p.action.id, p);
  const columns = Object.entries(getTableColumns(actions));
  return [...newest.values()].map((p) => {
    const row = toRow(p) as Record<string, unknown>;
    return Object.fromEntries(columns.map(([key, column]) => [column.name, row[key] ?? null]));
  });
}

function toRow({ action, version }: ActionProjection): typeof actions.$inferInsert {
  const decision = action.decision;
  return {
    id: action.id,
    action: action.action,
    resource: action.resource,
    environment: action.environment,
    requester: action.requester,
    onBehalfOf: action.onBehalfOf,
    status: action.status,
    risk: decision?.risk ?? null,
    approverGroups: decision?.approvers.groups ?? [],
    approverPrincipals: decision?.approvers.principals ?? [],
    snapshot: action as unknown as Record<string, unknown>,
    version,
    createdAt: action.createdAt,
    updatedAt: action.updatedAt,
  };
}

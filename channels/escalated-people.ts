import type { ActionChange } from '../activities';
import type { Action } from '../domain/action';
import type { Principal } from '../domain/principal';

/** Who principals.yaml says is in a group, and who an id names. */
export interface PeopleDirectory {
  membersOf(group: string): Principal[];
  byPrincipalId(id: string): Principal | undefined;
}

/** The people an escalation step adds, as every channel reaches them: humans, never the requester or the person it is for. */
export function escalatedPeople(action: Action, escalation: NonNullable<ActionChange['escalation']>, directory: PeopleDirectory): Principal[] {
  const people = new Map<string, Principal>();
  for (const group of escalation.groups) for (const p of directory.membersOf(group)) people.set(p.id, p);
  for (const id of escalation.principals) {
    const p = directory.byPrincipalId(id);
    if (p) people.set(p.id, p);
  }
  // Those who may not vote on it are not asked to.
  people.delete(action.requester);
  if (action.onBehalfOf) people.delete(action.onBehalfOf);
  return [...people.values()].filter((p) => p.kind === 'human');
}

export const PrincipalKind = { human: 'human', service: 'service' } as const;
export type PrincipalKind = (typeof PrincipalKind)[keyof typeof PrincipalKind];

/** Someone or something that calls the API or decides. Groups come from principals.yaml only. */
export interface Principal {
  id: string;
  kind: PrincipalKind;
  groups: string[];
  slack?: string;
  /** Azure AD (Entra ID) object id of the person's Teams account. */
  teams?: string;
  email?: string;
}

/** The principal's e-mail: as configured, else its id when the id is one (`alice@example.com`). */
export function emailOf(p: Pick<Principal, 'id' | 'email'>): string | undefined {
  return p.email ?? (p.id.includes('@') ? p.id : undefined);
}

/** Reserved groups with platform-wide meaning. */
export const ReservedGroup = { admins: 'admins', auditors: 'auditors' } as const;

import { emailOf, type Principal } from './principal';

const EMAIL_SHAPED = /^[^@\s]+@[^@\s]+$/;

/** Whether a (trimmed) identity is an e-mail address, the one kind of id that compares case-insensitively. */
export function isEmailShaped(identity: string): boolean {
  return EMAIL_SHAPED.test(identity);
}

/**
 * The one spelling of an identity that is stored and compared: trimmed, and lower-cased when it is an e-mail.
 * Other ids (`svc:etl-bot`) compare exactly: an operator writes them once in principals.yaml and tokens bind to them,
 * whereas e-mails also arrive from people, Slack profiles and identity providers in whatever case they were typed.
 */
export function canonicalIdentity(identity: string): string {
  const trimmed = identity.trim();
  return isEmailShaped(trimmed) ? trimmed.toLowerCase() : trimmed;
}

/** Slack user ids are upper-case by Slack's own format, so any case of one names the same user. */
export function canonicalSlackId(slackUserId: string): string {
  return slackUserId.trim().toUpperCase();
}

/** Azure AD object ids are GUIDs, which compare case-insensitively. */
export function canonicalTeamsId(aadObjectId: string): string {
  return aadObjectId.trim().toLowerCase();
}

/** Two spellings of one id (`Alice@example.com`, ` alice@example.com`). */
export function sameIdentity(a: string | null | undefined, b: string | null | undefined): boolean {
  return a != null && b != null && canonicalIdentity(a) === canonicalIdentity(b);
}

/**
 * Whether `identity` names `principal` by any identity it has: its id, its e-mail or its Slack id. For refusals
 * (separation of duties), where a recorded value may predate resolution to a canonical id.
 */
export function isIdentityOf(principal: Pick<Principal, 'id' | 'slack' | 'email'>, identity: string | null | undefined): boolean {
  if (identity == null) return false;
  return sameIdentity(principal.id, identity) || sameIdentity(emailOf(principal), identity) || (!!principal.slack && canonicalSlackId(principal.slack) === canonicalSlackId(identity));
}

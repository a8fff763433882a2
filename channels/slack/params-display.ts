import { redactSecretParams } from '../../domain';

/**
 * Pretty JSON of the parameters, cut to `max` characters so the message stays within Slack's block limits.
 * Submissions are redacted at the API's edge already; redacting again covers actions submitted before that.
 */
export function paramsForDisplay(params: Record<string, unknown>, max = 2500): string {
  const text = JSON.stringify(redactSecretParams(params), null, 2);
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${text.length - max} more characters; see the action)`;
}

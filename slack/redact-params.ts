/** Parameter names whose values never reach a chat channel, at any depth. */
export const SECRET_KEY = /pass(word)?|token|secret|key|credential|auth/i;
export const REDACTED = '[redacted]';

/** A copy of `value` with the values of secret-looking keys replaced, however deeply they are nested. */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : redactSecrets(v)]));
  }
  return value;
}

/** Pretty JSON of the redacted parameters, cut to `max` characters so the message stays within Slack's block limits. */
export function paramsForDisplay(params: Record<string, unknown>, max = 2500): string {
  const text = JSON.stringify(redactSecrets(params), null, 2);
  return text.length <= max ? text : `${text.slice(0, max)}\n… (${text.length - max} more characters; see the action)`;
}

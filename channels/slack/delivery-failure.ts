/** Slack platform errors that are Slack's trouble, not ours: worth another try. */
const TRANSIENT_PLATFORM_ERRORS = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/**
 * What a failed Slack call means. Transient (timeouts, network, 5xx, rate limits) is retried; anything else
 * (channel_not_found, not_in_channel, invalid_auth, token_revoked, ...) will fail the same way again, so it is
 * recorded and the notification goes on without it.
 */
export function classifySlackError(err: unknown): { transient: boolean; error: string } {
  const e = err as { code?: string; data?: { error?: string }; statusCode?: number; original?: Error; message?: string };
  switch (e?.code) {
    case 'slack_webapi_platform_error': {
      const error = e.data?.error ?? 'unknown_error';
      return { transient: TRANSIENT_PLATFORM_ERRORS.has(error), error };
    }
    case 'slack_webapi_rate_limited_error':
      return { transient: true, error: 'ratelimited' };
    case 'slack_webapi_http_error':
      return { transient: (e.statusCode ?? 500) >= 500 || e.statusCode === 429, error: `http_${e.statusCode}` };
    case 'slack_webapi_request_error':
      return { transient: true, error: `request_failed: ${e.original?.message ?? e.message}` };
    default:
      return { transient: true, error: String(e?.message ?? err) };
  }
}

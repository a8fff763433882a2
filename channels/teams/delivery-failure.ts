import { BotTokenError } from './bot-token';

/**
 * What a failed Bot Connector call means. No answer, 408, 429 and 5xx are worth another try; a 4xx (the bot is
 * not in the conversation, the conversation does not exist, the credentials are refused) fails the same way
 * again, so it is recorded and the notification goes on without it.
 */
export function classifyTeamsError(err: unknown): { transient: boolean; error: string } {
  if (err instanceof BotTokenError) return { transient: err.status === null || err.status >= 500 || err.status === 429, error: err.status === null ? 'token_unreachable' : `token_http_${err.status}` };
  const e = err as { isAxiosError?: boolean; response?: { status?: number; data?: { error?: { code?: string } } }; code?: string; message?: string };
  if (e?.isAxiosError) {
    const status = e.response?.status;
    if (status === undefined) return { transient: true, error: `request_failed: ${e.code ?? e.message}` };
    const code = e.response?.data?.error?.code;
    return { transient: status >= 500 || status === 429 || status === 408, error: `http_${status}${code ? ` ${code}` : ''}` };
  }
  return { transient: true, error: String(e?.message ?? err) };
}

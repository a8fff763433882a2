/** Thrown when the bot's OAuth token endpoint refuses or cannot be reached; never carries the password. */
export class BotTokenError extends Error {
  override readonly name = 'BotTokenError';
  constructor(readonly tokenUrl: string, readonly status: number | null, detail: string) {
    super(`the Teams bot token could not be obtained from ${tokenUrl}: ${detail}`);
  }
}

const TIMEOUT_MS = 10_000;
/** A token is renewed this long before it expires, so a call never leaves with one about to lapse. */
const RENEW_EARLY_MS = 5 * 60_000;

/**
 * The bot's own access token by the OAuth 2.0 client-credentials grant against TEAMS_TOKEN_URL, handed to the
 * Teams SDK as its token factory. Without TEAMS_TOKEN_URL the SDK asks Microsoft Entra ID itself (MSAL); this is
 * the same request to another endpoint (a sovereign cloud's, a proxy's, the tests' stand-in).
 */
export function clientCredentialsToken(tokenUrl: string, appId: string, appPassword: string): (scope: string | string[]) => Promise<string> {
  const cache = new Map<string, { token: string; renewAt: number }>();
  return async (scope) => {
    const scopes = (Array.isArray(scope) ? scope : [scope]).join(' ');
    const hit = cache.get(scopes);
    if (hit && Date.now() < hit.renewAt) return hit.token;
    let res: Response;
    try {
      res = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: appId, client_secret: appPassword, scope: scopes }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw new BotTokenError(tokenUrl, null, (err as Error).message);
    }
    const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new BotTokenError(tokenUrl, res.status, `HTTP ${res.status}${typeof body.error === 'string' ? ` ${body.error}` : ''}`);
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in) || 3600) * 1000;
    cache.set(scopes, { token: body.access_token, renewAt: Date.now() + Math.max(0, lifetimeMs - RENEW_EARLY_MS) });
    return body.access_token;
  };
}

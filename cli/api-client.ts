import { UsageError } from './args';

/** Thrown when the API answered with the contract's error object (or not at all). */
export class ApiCallError extends Error {
  override readonly name = 'ApiCallError';
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
  }
}

/** A small client over the REST API, as the token's principal. */
export class InterlockClient {
  constructor(readonly baseUrl: string, private readonly token: string) {}

  static fromEnv(env: NodeJS.ProcessEnv): InterlockClient {
    const token = env.INTERLOCK_TOKEN;
    if (!token) throw new UsageError('INTERLOCK_TOKEN is not set (create one with `npx interlock token create <principal-id>`)');
    return new InterlockClient((env.INTERLOCK_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, ''), token);
  }

  async request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiCallError(0, 'unreachable', `cannot reach ${this.baseUrl} (${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}); is \`npm start\` running, or INTERLOCK_URL right?`);
    }
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : null;
    if (!res.ok) throw new ApiCallError(res.status, parsed?.error?.code ?? 'http_error', parsed?.error?.message ?? `HTTP ${res.status}`);
    return parsed as T;
  }
}

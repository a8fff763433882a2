import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { RecordingServer, sendJson as json } from './recording-server';

/** One token request the issuer answered (the secret is only compared, never kept). */
export interface TokenRequest {
  clientId: string;
  scope: string;
  granted: boolean;
}

/** Who Bot Framework says sent an activity, as its token says it: what a test varies to be refused. */
export interface ActivityTokenClaims {
  serviceUrl: string;
  audience?: string;
  issuer?: string;
  /** Seconds from now; negative for a token that has expired. */
  expiresIn?: number;
  /** Sign with a key the metadata does not publish. */
  foreignKey?: boolean;
}

const BOT_FRAMEWORK_ISSUER = 'https://api.botframework.com';

/**
 * A local stand-in for the two Microsoft identity services a bot meets: Bot Framework's OpenID issuer, which
 * signs the tokens on incoming activities (RS256 with a `kid`, `iss` https://api.botframework.com, `aud` the
 * app id, a `serviceurl` claim), publishing its metadata document and keys over HTTP; and the OAuth 2.0 token
 * endpoint the bot gets its own Bot Connector token from (client credentials).
 */
export class BotFrameworkIssuer extends RecordingServer<TokenRequest> {
  private readonly issued = new Set<string>();
  private signing!: { key: CryptoKey; jwk: JWK };
  private foreign!: CryptoKey;
  private connectorKey!: CryptoKey;
  private refuseTokens = false;

  constructor(private readonly app: { id: string; password: string }) {
    super();
  }

  override async start(): Promise<this> {
    const signing = await generateKeyPair('RS256', { extractable: true });
    this.signing = { key: signing.privateKey, jwk: { ...(await exportJWK(signing.publicKey)), kid: 'bf-test-key-1', use: 'sig', alg: 'RS256' } };
    this.foreign = (await generateKeyPair('RS256')).privateKey;
    this.connectorKey = (await generateKeyPair('RS256')).privateKey;
    return super.start();
  }

  /** Every token request: the issuer's calls. */
  get tokenRequests(): TokenRequest[] {
    return this.calls;
  }
  get openIdMetadataUrl(): string {
    return `${this.url}/v1/.well-known/openidconfiguration`;
  }
  get tokenUrl(): string {
    return `${this.url}/botframework.com/oauth2/v2.0/token`;
  }

  /** A Bot Connector access token this issuer handed out (what the connector stand-in accepts). */
  isIssued(token: string | undefined): boolean {
    return !!token && this.issued.has(token);
  }
  /** Token requests answer 401 invalid_client until `heal()`. */
  refuse(): void {
    this.refuseTokens = true;
  }
  heal(): void {
    this.refuseTokens = false;
  }

  /** The bearer token Bot Framework puts on an activity it delivers to the bot. */
  async activityToken(claims: ActivityTokenClaims): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = claims.expiresIn ?? 3600;
    return new SignJWT({ serviceurl: claims.serviceUrl })
      .setProtectedHeader({ alg: 'RS256', kid: this.signing.jwk.kid, typ: 'JWT' })
      .setIssuer(claims.issuer ?? BOT_FRAMEWORK_ISSUER)
      .setAudience(claims.audience ?? this.app.id)
      .setNotBefore(now - 600 + Math.min(0, expiresIn))
      .setIssuedAt(now - 600 + Math.min(0, expiresIn))
      .setExpirationTime(now + expiresIn)
      .sign(claims.foreignKey ? this.foreign : this.signing.key);
  }

  protected operationOf(): string {
    return 'token';
  }

  protected async handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/.well-known/openidconfiguration') {
      return json(res, 200, {
        issuer: BOT_FRAMEWORK_ISSUER,
        authorization_endpoint: 'https://invalid.botframework.com',
        jwks_uri: `${this.url}/v1/.well-known/keys`,
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['private_key_jwt'],
      });
    }
    if (req.method === 'GET' && path === '/v1/.well-known/keys') return json(res, 200, { keys: [{ ...this.signing.jwk, endorsements: ['msteams'] }] });
    if (req.method === 'POST' && path === new URL(this.tokenUrl).pathname) return this.token(res, new URLSearchParams(raw));
    json(res, 404, { error: 'not_found' });
  }

  private async token(res: ServerResponse, form: URLSearchParams) {
    const clientId = form.get('client_id') ?? '';
    const scope = form.get('scope') ?? '';
    const granted = !this.refuseTokens && form.get('grant_type') === 'client_credentials' && clientId === this.app.id && form.get('client_secret') === this.app.password;
    this.calls.push({ clientId, scope, granted });
    if (!granted) return json(res, 401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' });
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ appid: clientId, tid: 'd6d49420-f39b-4df7-a1dc-d59a935871db' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuer('https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/')
      .setAudience('https://api.botframework.com')
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(this.connectorKey);
    this.issued.add(token);
    json(res, 200, { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token });
  }
}

import * as client from 'openid-client';
import type { IssuerConfig } from '../identity';

/** What the browser carries between the redirect to the IdP and the callback (in a signed, short-lived cookie). */
export interface PendingLogin {
  verifier: string;
  state: string;
  nonce: string;
  returnTo: string;
  maxAge: number | null;
  at: number;
}

/**
 * Sign-in by authorization code with PKCE at the people issuer (`openid-client`): discovery once, then one redirect
 * out and one code exchange back. The ID token it returns is then judged by the same OidcVerifier as API tokens.
 */
export class ConsoleLogin {
  private configuration: Promise<client.Configuration> | null = null;

  constructor(private readonly issuer: IssuerConfig, private readonly secret: string | undefined, private readonly redirectUri: string) {}

  private config(): Promise<client.Configuration> {
    if (!this.configuration) {
      const url = new URL(this.issuer.issuer);
      // Plain http only for a loopback IdP (development and tests); parseIssuer refuses it anywhere else.
      const insecure = url.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : undefined;
      const auth = this.secret ? client.ClientSecretBasic(this.secret) : client.None();
      this.configuration = client.discovery(url, this.issuer.clientId!, this.secret ? { client_secret: this.secret } : undefined, auth, insecure);
      this.configuration.catch(() => (this.configuration = null));
    }
    return this.configuration;
  }

  /** The IdP URL to send the browser to; `maxAge` asks for a fresh login (`prompt=login`), as step-up rules need. */
  async start(returnTo: string, maxAge: number | null): Promise<{ url: string; pending: PendingLogin }> {
    const config = await this.config();
    const pending: PendingLogin = { verifier: client.randomPKCECodeVerifier(), state: client.randomState(), nonce: client.randomNonce(), returnTo, maxAge, at: Date.now() };
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    };
    if (maxAge !== null) Object.assign(params, { prompt: 'login', max_age: String(maxAge) });
    return { url: client.buildAuthorizationUrl(config, params).href, pending };
  }

  /** Exchanges the callback's code; returns the ID token (its signature, nonce and PKCE checked by openid-client). */
  async finish(callbackUrl: URL, pending: PendingLogin): Promise<string> {
    const config = await this.config();
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: pending.verifier, expectedState: pending.state, expectedNonce: pending.nonce, ...(pending.maxAge !== null ? { maxAge: pending.maxAge } : {}) });
    if (!tokens.id_token) throw new Error('the identity provider returned no ID token');
    return tokens.id_token;
  }
}

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';
import Provider, { type Configuration } from 'oidc-provider';

/** A pipeline client of the test IdP and the claims its tokens carry (as GitHub Actions' would). */
export interface IdpClient {
  clientId: string;
  secret: string;
  claims: Record<string, unknown>;
}

/** The console's client at the IdP and the people who can sign in (any password works on the dev login page). */
export interface IdpPeople {
  clientId: string;
  secret: string;
  redirectUri: string;
  /** e-mail -> extra claims (groups) */
  accounts: Record<string, Record<string, unknown>>;
}

export interface TestIdp {
  issuer: string;
  /** A client-credentials access token (a JWT) for `resource`'s audience, from the provider's token endpoint. */
  clientToken(client: IdpClient, audience?: string): Promise<string>;
  /** A JWT signed with the provider's current key, with claims of the test's choosing (expired, not yet valid ...). */
  sign(claims: Record<string, unknown>): Promise<string>;
  /** Replaces the provider's signing key (restarting it on the same port): tokens then carry a new `kid`. */
  rotate(): Promise<void>;
  /** The kid tokens are signed with now. */
  kid(): string;
  stop(): Promise<void>;
}

const RESOURCE_PREFIX = 'urn:audience:';

async function signingKey(): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: `k-${Math.random().toString(36).slice(2, 10)}`, alg: 'ES256', use: 'sig' };
}

/**
 * The real `oidc-provider` (OpenID certified) on an ephemeral loopback port: client credentials issue JWT access
 * tokens whose audience is the requested resource's, carrying the client's claims.
 */
export async function startIdp(clients: IdpClient[], people?: IdpPeople): Promise<TestIdp> {
  let key = await signingKey();
  let server: Server;
  let port = 0;
  const claimsOf = new Map(clients.map((c) => [c.clientId, c.claims]));

  const listen = async () => {
    const issuer = `http://127.0.0.1:${port}`;
    const configuration: Configuration = {
      clients: [
        ...clients.map((c) => ({ client_id: c.clientId, client_secret: c.secret, grant_types: ['client_credentials'], redirect_uris: [], response_types: [], scope: 'api' })),
        ...(people ? [{ client_id: people.clientId, client_secret: people.secret, grant_types: ['authorization_code'], response_types: ['code' as const], redirect_uris: [people.redirectUri], require_auth_time: true }] : []),
      ],
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['groups'] },
      // The console reads e-mail and groups from the ID token, as Okta, Entra ID and Keycloak can be set to send them.
      conformIdTokenClaims: false,
      findAccount: (_ctx, id) => (people?.accounts[id] ? { accountId: id, claims: () => ({ sub: id, email: id, email_verified: true, ...people.accounts[id] }) } : undefined),
      loadExistingGrant: async (ctx) => {
        // First-party console: consent is implied, so the dev login page is the only interaction.
        const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session?.grantIdFor(ctx.oidc.client!.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client!.clientId, accountId: ctx.oidc.session!.accountId! });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
      jwks: { keys: [key] },
      clientDefaults: { id_token_signed_response_alg: 'ES256' },
      scopes: ['openid', 'email', 'api'],
      features: {
        clientCredentials: { enabled: true },
        devInteractions: { enabled: !!people },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => `${RESOURCE_PREFIX}interlock`,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource) => ({ scope: 'api', audience: resource.slice(RESOURCE_PREFIX.length), accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'ES256' } } }),
        },
      },
      extraTokenClaims: (_ctx, token) => ('clientId' in token && token.clientId ? (claimsOf.get(token.clientId) as Record<string, unknown>) : undefined),
    };
    const provider = new Provider(issuer, configuration);
    server = createServer(provider.callback());
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    return issuer;
  };
  // First listen picks the port; the issuer URL must name it, so start again on that port.
  await listen();
  await new Promise((r) => server.close(r));
  const issuer = await listen();

  return {
    issuer,
    async clientToken(client, audience = 'interlock') {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.clientId}:${client.secret}`).toString('base64')}` },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api', resource: `${RESOURCE_PREFIX}${audience}` }),
      });
      const body = (await res.json()) as { access_token?: string };
      if (!res.ok || !body.access_token) throw new Error(`token endpoint: ${res.status} ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async sign(claims) {
      const priv = await importJWK(key, 'ES256');
      return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' }).sign(priv);
    },
    async rotate() {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      key = await signingKey();
      await listen();
    },
    kid: () => key.kid!,
    async stop() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** principals.yaml's `issuers:` entry for the console's people issuer, as the contract shows it. */
export function peopleIssuerYaml(issuer: string): string {
  return `  - issuer: ${issuer}
    audience: interlock-console
    client_id: interlock-console
    principal: "{email}"
    kind: human
    groups_claim: groups
    email_domains: [example.com]
`;
}

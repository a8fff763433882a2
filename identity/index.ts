// Who is calling: the principals directory (principals.yaml, hot-reloaded) and API tokens (only their hashes are stored).
export { PrincipalDirectory, PrincipalsStore, PrincipalsError, parsePrincipals } from './principals';
export { createToken, principalForToken, liveTokenRow, TOKEN_REVOKED_CHANNEL, hashToken, revokeToken, listTokens, findToken, liveTokenFor, isTokenLive, tokenExpiry, TokenExpiryError, type TokenRecord } from './tokens';
export { TokenCache, type TokenCacheOptions } from './token-cache';
export { OidcVerifier, OidcTokenError, OidcRefusal, type OidcIdentity } from './oidc';
export { underEmailDomains, type IssuerConfig } from './issuers';

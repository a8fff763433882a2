export { PrincipalDirectory, PrincipalsStore, PrincipalsError, parsePrincipals } from './principals';
export { createToken, principalForToken, hashToken, revokeToken } from './tokens';

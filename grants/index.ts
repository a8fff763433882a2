// Signed single-use grants for gate mode: the signing keys (and their rotation), the token, and its verification.
export { paramsHash, type GrantClaims } from './claims';
export { DEV_GRANT_KEY_FILE, GrantKeys, thumbprint, type GrantJwk } from './keys';
export { recordKeyRotation } from './rotation';
export { grantClaims, signGrant, type GrantFacts, type GrantSubject } from './token';
export { checkGrant, GrantVerificationError, verifyGrant, type GrantExpectation, type GrantRefusal } from './verify-grant';

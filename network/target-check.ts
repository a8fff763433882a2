import { isIpLiteral, nonPublicReason, targetAddressReason } from './address-class';
import { targetKey, type PrivateAllowList } from './allow-list';

const ALLOW_HINT = 'the http executor only calls public addresses or those listed in INTERLOCK_HTTP_ALLOW_PRIVATE';
const TARGET_HINT = 'a target may be public or on a private network (10/8, 172.16/12, 192.168/16, fc00::/7); loopback, link-local and other special addresses also need INTERLOCK_HTTP_ALLOW_PRIVATE';

/** Which addresses pass: `public` only, or those a configured target may use (`target`: also the private networks). */
export type AddressScope = 'public' | 'target';

/** Why the http executor will not call a URL: `reason` alone, and `message` with what to do about it. */
export interface TargetRefusal {
  reason: string;
  message: string;
}

/**
 * Checks what can be known of a URL without resolving it: scheme, userinfo, and a host that is a literal
 * non-public address or a `localhost` name. Names that resolve to such addresses are caught at send time.
 * Relies on WHATWG URL parsing, which already rewrites decimal, octal, hex and short IPv4 forms as dotted quads.
 */
export function checkTarget(rawUrl: string, allow: PrivateAllowList, scope: AddressScope = 'public'): TargetRefusal | null {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return refusal(`"${rawUrl}" is not a URL`, 'send an absolute http:// or https:// URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return refusal(`the scheme ${url.protocol} is not http or https`, 'the http executor only sends http and https requests');
  if (url.username || url.password) return refusal('the URL carries a user name or password', 'credentials never travel in a submission; they are configured on the server');
  if (allow.has(targetKey(url))) return null;
  const host = url.hostname.replace(/\.+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return refusal(`${url.hostname} is a loopback name`, scope === 'target' ? TARGET_HINT : ALLOW_HINT);
  if (isIpLiteral(host)) return addressRefusal(host, scope);
  return null;
}

/** Why one resolved or literal address may not be called, or null when it is public. */
export function addressRefusal(address: string, scope: AddressScope = 'public'): TargetRefusal | null {
  const why = scope === 'target' ? targetAddressReason(address) : nonPublicReason(address);
  return why ? refusal(`${address} is ${why}`, scope === 'target' ? TARGET_HINT : ALLOW_HINT) : null;
}

function refusal(reason: string, hint: string): TargetRefusal {
  return { reason, message: `${reason}; ${hint}` };
}

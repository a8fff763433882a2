import ipaddr from 'ipaddr.js';

/** Plain words for ipaddr.js range names, as a refusal message shows them. */
const RANGE_WORDS: Record<string, string> = {
  unspecified: 'an unspecified address',
  broadcast: 'a broadcast address',
  multicast: 'a multicast address',
  linkLocal: 'a link-local address',
  loopback: 'a loopback address',
  carrierGradeNat: 'a carrier-grade NAT address',
  private: 'a private address',
  uniqueLocal: 'a unique-local address',
  reserved: 'a reserved address',
  rfc6052: 'a NAT64 address',
  rfc6145: 'an IPv4-translated address',
  '6to4': 'a 6to4 relay address',
  teredo: 'a Teredo tunnel address',
};

const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * Cloud host services at addresses that are public unicast by the registry, so no range refuses them. The others
 * known (metadata at 169.254.169.254 and fd00:ec2::254, Alibaba's 100.100.100.200) fall in refused ranges already.
 */
const CLOUD_HOST_ADDRESSES: Record<string, string> = {
  '168.63.129.16': 'the Azure WireServer (platform host address)',
};

/**
 * Why an IP address (any notation ipaddr.js reads) is not a public one, or null when it is. Only public unicast
 * passes: every special-purpose range is refused, so a range added to the registry later fails closed.
 * IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) IPv6 addresses are judged by their IPv4 part.
 */
export function nonPublicReason(address: string): string | null {
  const ip = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
  if (ip.kind() === 'ipv6') {
    const v6 = ip as ipaddr.IPv6;
    const parts = v6.parts;
    const compatible = parts.slice(0, 6).every((p) => p === 0) && (parts[6] !== 0 || parts[7] > 1);
    if (v6.isIPv4MappedAddress() || compatible) {
      const v4 = ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString();
      const inner = nonPublicReason(v4);
      if (inner) return `${inner} (${v4} written as IPv6)`;
      return compatible ? `an IPv4-compatible IPv6 address (${v4}), deprecated and not routed` : null;
    }
    const range = v6.range();
    if (range === 'unicast' && v6.match(GLOBAL_UNICAST_V6)) return null;
    return RANGE_WORDS[range] ?? `a special-purpose IPv6 address (${range})`;
  }
  const range = ip.range();
  const cloudHost = CLOUD_HOST_ADDRESSES[ip.toString()];
  if (cloudHost) return cloudHost;
  if (range === 'unicast') return null;
  return RANGE_WORDS[range] ?? `a special-purpose address (${range})`;
}

/** True for a literal IPv4 or IPv6 address (IPv6 with or without URL brackets). */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''));
}

/** Metadata services inside ranges a target may otherwise use (AWS's IPv6 one is unique-local). */
const METADATA_IN_TARGET_RANGES: Record<string, string> = {
  'fd00:ec2::254': 'the AWS instance metadata service',
};

/** Ranges where internal services live: a configured target may use them without the allow-list. */
const TARGET_RANGES = new Set(['private', 'uniqueLocal']);

/**
 * Why a configured target may not be called at this address, or null when it may: public addresses and the
 * private networks (10/8, 172.16/12, 192.168/16, fc00::/7) pass; loopback, link-local (cloud metadata),
 * carrier-grade NAT and every other special range need INTERLOCK_HTTP_ALLOW_PRIVATE.
 */
export function targetAddressReason(address: string): string | null {
  const reason = nonPublicReason(address);
  if (reason === null) return null;
  let ip = ipaddr.parse(address.replace(/^\[|\]$/g, ''));
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const metadata = METADATA_IN_TARGET_RANGES[ip.toString()];
  if (metadata) return `${reason}, ${metadata}`;
  return TARGET_RANGES.has(ip.range()) ? null : reason;
}

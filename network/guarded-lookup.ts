import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { addressRefusal, type AddressScope, type TargetRefusal } from './target-check';

/** Resolves a host name to every address it has; injectable so tests can resolve names as an attacker's DNS would. */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolve: Resolve = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** Thrown inside the connection attempt when a resolved address may not be called; nothing was sent. */
export class TargetRefusedError extends Error {
  override readonly name = 'TargetRefusedError';
  readonly code = 'ERR_TARGET_REFUSED';
  constructor(readonly refusal: TargetRefusal) {
    super(refusal.message);
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for net/tls connect options: resolves the host, refuses unless EVERY address passes `scope`, and hands
 * the socket exactly the addresses it checked, so a second DNS answer cannot slip in between check and connect.
 * `onRefusal` learns why, as the HTTP client wraps connect errors in its own.
 */
export function guardedLookup(resolve: Resolve, onRefusal: (refusal: TargetRefusal) => void, scope: AddressScope = 'public') {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const refusal = addresses.map((a) => addressRefusal(a.address, scope)).find((r) => r !== null);
        if (refusal || addresses.length === 0) {
          const named = refusal
            ? { reason: `${hostname} resolves to ${refusal.reason}`, message: `${hostname} resolves to ${refusal.message}` }
            : { reason: `${hostname} resolves to no address`, message: `${hostname} resolves to no address` };
          onRefusal(named);
          callback(new TargetRefusedError(named), '');
          return;
        }
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0].address, addresses[0].family);
      },
      (err: NodeJS.ErrnoException) => callback(err, ''),
    );
  };
}

import { lookup as dnsLookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { classifyAddress } from '@bulkhead/oci';

/** A destination URL the server must not call (names the host and the rule it broke). */
export class RefusedDestinationError extends Error {
  override readonly name = 'RefusedDestinationError';
}

export interface NotifyDestinationPolicy {
  /** Throws RefusedDestinationError when the URL's scheme or host is not allowed. */
  checkUrl(url: URL): void;
  /** A socket `lookup` that refuses forbidden addresses at connect time (DNS rebinding). */
  lookup: LookupFunction;
}

function hostMatches(pattern: string, host: string, hostWithPort: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (!p) return false;
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return p === host || p === hostWithPort;
}

/**
 * The server host policy applied to notification destinations, with its own variables
 * (BULKHEAD_NOTIFY_ALLOWED_HOSTS, BULKHEAD_NOTIFY_ALLOW_PRIVATE), same rules as the registry one:
 * allow-list only (empty = nothing), link-local/metadata/reserved always refused, private and
 * loopback only when allowed. The address check runs in the socket's lookup, on the address the
 * socket connects to, so a name re-resolving between check and connect is still caught.
 */
export function notifyDestinationPolicy(config: { allowedHosts: readonly string[]; allowPrivate?: boolean }): NotifyDestinationPolicy {
  const allowed = config.allowedHosts.map((h) => h.trim()).filter(Boolean);
  const allowPrivate = config.allowPrivate === true;
  const checkAddress = (host: string, address: string): void => {
    const kind = classifyAddress(address);
    if (kind === 'refused') throw new RefusedDestinationError(`notification host ${host}: address ${address} is link-local, metadata or reserved; always refused`);
    if (kind === 'private' && !allowPrivate) {
      throw new RefusedDestinationError(`notification host ${host}: address ${address} is private or loopback; refused (set BULKHEAD_NOTIFY_ALLOW_PRIVATE=true to allow)`);
    }
  };
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      try {
        for (const { address } of addresses) checkAddress(hostname, address);
      } catch (refused) {
        return callback(refused as NodeJS.ErrnoException, '', 4);
      }
      if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new RefusedDestinationError(`notification host ${hostname}: resolves to no address`), '', 4);
      callback(null, first.address, first.family);
    });
  };
  return {
    lookup,
    checkUrl(url: URL): void {
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RefusedDestinationError(`notification URL scheme ${url.protocol} is not http(s)`);
      if (url.username || url.password) throw new RefusedDestinationError('notification URL must not carry credentials (user:password@)');
      const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      const hostWithPort = url.port ? `${host}:${url.port}` : host;
      if (!allowed.some((p) => hostMatches(p, host, hostWithPort))) {
        throw new RefusedDestinationError(`notification host ${hostWithPort} is not in the allow-list (BULKHEAD_NOTIFY_ALLOWED_HOSTS=${allowed.join(',') || '(empty)'})`);
      }
      if (isIP(host)) checkAddress(host, host);
    },
  };
}

/**
 * Whether notifications can be delivered at all: with no allowed host every channel URL is
 * refused, so the API does not listen for findings to notify (no subscriber on the
 * findings-raised channel that nothing could use).
 */
export function notificationsEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env['BULKHEAD_NOTIFY_ALLOWED_HOSTS'] ?? '').split(',').some((s) => s.trim() !== '');
}

/** Reads BULKHEAD_NOTIFY_ALLOWED_HOSTS (comma list; `*.example.com`, `*`) and BULKHEAD_NOTIFY_ALLOW_PRIVATE. */
export function notifyDestinationPolicyFromEnv(env: NodeJS.ProcessEnv = process.env): NotifyDestinationPolicy {
  const flag = env['BULKHEAD_NOTIFY_ALLOW_PRIVATE']?.trim().toLowerCase();
  if (flag !== undefined && flag !== '' && !['true', 'false', '1', '0', 'yes', 'no'].includes(flag)) {
    throw new Error(`BULKHEAD_NOTIFY_ALLOW_PRIVATE=${JSON.stringify(env['BULKHEAD_NOTIFY_ALLOW_PRIVATE'])}: expected true or false`);
  }
  const allowedHosts = (env['BULKHEAD_NOTIFY_ALLOWED_HOSTS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return notifyDestinationPolicy({ allowedHosts, allowPrivate: flag === 'true' || flag === '1' || flag === 'yes' });
}

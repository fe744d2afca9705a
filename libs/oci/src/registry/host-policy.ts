import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { BadInputError } from '@bulkhead/plugin-sdk';

/**
 * Decides whether a URL may be fetched on a client's behalf (server mode). `check` runs before
 * every request and every redirect hop; `checkAddress`, when present, runs again on each address
 * the socket actually connects to, so a name that re-resolves between the check and the connect
 * (DNS rebinding) is caught too.
 */
export interface HostPolicy {
  /** Throws a BadInputError naming the host and the rule it broke. */
  check(url: URL): Promise<void>;
  checkAddress?(hostname: string, address: string): void;
}

export interface ServerHostPolicyConfig {
  /** Host names (`ghcr.io`, `registry.local:5000`), `*.example.com` wildcards, or `*` for any. */
  allowedHosts: readonly string[];
  /** Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, loopback) only when true. */
  allowPrivate?: boolean;
}

// Never reachable on a client's behalf: link-local (where cloud metadata lives: 169.254.169.254,
// fd00:ec2::254 is in fc00::/7 below but AWS also answers on fe80::a9fe:a9fe) and the other
// metadata addresses, the unspecified address, multicast and reserved ranges.
const ALWAYS_REFUSED = new BlockList();
ALWAYS_REFUSED.addSubnet('169.254.0.0', 16, 'ipv4');
ALWAYS_REFUSED.addSubnet('0.0.0.0', 8, 'ipv4');
ALWAYS_REFUSED.addSubnet('100.100.100.200', 32, 'ipv4'); // Alibaba Cloud metadata
ALWAYS_REFUSED.addSubnet('224.0.0.0', 4, 'ipv4');
ALWAYS_REFUSED.addSubnet('240.0.0.0', 4, 'ipv4');
ALWAYS_REFUSED.addSubnet('fe80::', 10, 'ipv6');
ALWAYS_REFUSED.addSubnet('fd00:ec2::254', 128, 'ipv6'); // AWS IPv6 metadata
ALWAYS_REFUSED.addSubnet('::', 128, 'ipv6');
ALWAYS_REFUSED.addSubnet('ff00::', 8, 'ipv6');

const PRIVATE = new BlockList();
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('::1', 128, 'ipv6');

/** `::ffff:169.254.169.254` is IPv4 in disguise: judge it as IPv4. */
function unmapped(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return { address: mapped[1], family: 'ipv4' };
  return { address, family: isIP(address) === 6 ? 'ipv6' : 'ipv4' };
}

export type AddressClass = 'refused' | 'private' | 'public';

export function classifyAddress(address: string): AddressClass {
  const { address: a, family } = unmapped(address);
  if (ALWAYS_REFUSED.check(a, family)) return 'refused';
  if (PRIVATE.check(a, family)) return 'private';
  return 'public';
}

/** Loopback names and addresses: plain HTTP is always allowed to them (a local registry). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  const { address, family } = unmapped(host);
  return family === 'ipv4' ? address.startsWith('127.') : host === '::1';
}

function hostMatches(pattern: string, host: string, hostWithPort: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (!p) return false;
  if (p === '*') return true;
  if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
  return p === host || p === hostWithPort;
}

/**
 * The policy of a server (API or worker) that fetches images named by its users: only the
 * configured hosts, never link-local or metadata addresses (whatever the allow-list says), and
 * private ranges only when allowed. Names are resolved here, and every address they resolve to
 * must pass.
 */
export function serverHostPolicy(config: ServerHostPolicyConfig): HostPolicy {
  const allowed = config.allowedHosts.map((h) => h.trim()).filter(Boolean);
  const allowPrivate = config.allowPrivate === true;
  const checkAddress = (hostname: string, address: string): void => {
    const kind = classifyAddress(address);
    if (kind === 'refused') {
      throw new BadInputError(`registry host ${hostname}: address ${address} is link-local, metadata or reserved; refused always in server mode`);
    }
    if (kind === 'private' && !allowPrivate) {
      throw new BadInputError(`registry host ${hostname}: address ${address} is private or loopback; refused in server mode (set BULKHEAD_REGISTRY_ALLOW_PRIVATE=true to allow)`);
    }
  };
  return {
    checkAddress,
    async check(url: URL): Promise<void> {
      const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
      const hostWithPort = url.port ? `${host}:${url.port}` : host;
      if (!allowed.some((pattern) => hostMatches(pattern, host, hostWithPort))) {
        throw new BadInputError(
          `registry host ${hostWithPort} is not in the allow-list (BULKHEAD_REGISTRY_ALLOWED_HOSTS=${allowed.join(',') || '(empty)'})`,
        );
      }
      if (isIP(host)) {
        checkAddress(host, host);
        return;
      }
      let addresses: { address: string }[];
      try {
        addresses = await lookup(host, { all: true, verbatim: true });
      } catch (error) {
        throw new BadInputError(`registry host ${host}: cannot resolve: ${(error as Error).message}`);
      }
      for (const { address } of addresses) checkAddress(host, address);
    },
  };
}

/** Reads the server-mode variables (BULKHEAD_REGISTRY_*) from an environment. */
export function registryServerConfigFromEnv(env: NodeJS.ProcessEnv = process.env): {
  hostPolicy: HostPolicy;
  insecureHosts: string[];
} {
  const list = (name: string): string[] => (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const flag = env['BULKHEAD_REGISTRY_ALLOW_PRIVATE']?.trim().toLowerCase();
  if (flag !== undefined && flag !== '' && !['true', 'false', '1', '0', 'yes', 'no'].includes(flag)) {
    throw new BadInputError(`BULKHEAD_REGISTRY_ALLOW_PRIVATE=${JSON.stringify(env['BULKHEAD_REGISTRY_ALLOW_PRIVATE'])}: expected true or false`);
  }
  return {
    hostPolicy: serverHostPolicy({ allowedHosts: list('BULKHEAD_REGISTRY_ALLOWED_HOSTS'), allowPrivate: flag === 'true' || flag === '1' || flag === 'yes' }),
    insecureHosts: list('BULKHEAD_REGISTRY_INSECURE_HOSTS'),
  };
}

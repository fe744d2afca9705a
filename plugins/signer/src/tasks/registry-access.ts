import { RegistryClient, serverHostPolicy } from '@bulkhead/oci';
import type { TaskContext } from '@bulkhead/plugin-sdk';

/** Hosts a worker may reach on a client's behalf (comma list; `*` any public host). */
export const ALLOWED_HOSTS_SETTING = 'BULKHEAD_REGISTRY_ALLOWED_HOSTS';
export const ALLOW_PRIVATE_SETTING = 'BULKHEAD_REGISTRY_ALLOW_PRIVATE';
export const INSECURE_HOSTS_SETTING = 'BULKHEAD_REGISTRY_INSECURE_HOSTS';

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * The registry client of a sign/verify task. On a worker (ctx.platform set) the registry is
 * reached on a client's behalf, so the operator's host policy applies (allow-list, private
 * ranges only when allowed, link-local and metadata addresses never, redirects re-checked);
 * inline (the CLI) the user's own credentials and network apply.
 */
export function registryClientFor(ctx: Pick<TaskContext, 'platform' | 'signal'>, env: NodeJS.ProcessEnv = process.env): RegistryClient {
  const insecureHosts = list(env[INSECURE_HOSTS_SETTING]);
  if (!ctx.platform) return new RegistryClient({ insecureHosts, signal: ctx.signal });
  const allowPrivate = /^(1|true|yes)$/i.test(env[ALLOW_PRIVATE_SETTING] ?? '');
  return new RegistryClient({
    insecureHosts,
    signal: ctx.signal,
    hostPolicy: serverHostPolicy({ allowedHosts: list(env[ALLOWED_HOSTS_SETTING]), allowPrivate }),
  });
}

import { RegistryClient, registryServerConfigFromEnv } from '@bulkhead/oci';
import type { TaskContext } from '@bulkhead/plugin-sdk';

/**
 * Runs `work` with the registry client of a sign/verify task, closed afterwards. On a worker
 * (ctx.platform set) the registry is reached on a client's behalf, so the operator's host policy
 * applies (BULKHEAD_REGISTRY_ALLOWED_HOSTS, BULKHEAD_REGISTRY_ALLOW_PRIVATE,
 * BULKHEAD_REGISTRY_INSECURE_HOSTS: link-local and metadata addresses never, redirects
 * re-checked); inline (the CLI) the user's own credentials and network apply.
 */
export async function withRegistryClient<T>(ctx: Pick<TaskContext, 'platform' | 'signal'>, work: (client: RegistryClient) => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const server = registryServerConfigFromEnv(env);
  const client = ctx.platform
    ? new RegistryClient({ hostPolicy: server.hostPolicy, insecureHosts: server.insecureHosts, signal: ctx.signal })
    : new RegistryClient({ insecureHosts: server.insecureHosts, signal: ctx.signal });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

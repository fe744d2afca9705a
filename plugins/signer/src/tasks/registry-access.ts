import { parseRegistryReference, RegistryClient, registryServerConfigFromEnv } from '@bulkhead/oci';
import { platformPullCredentials, type TaskContext } from '@bulkhead/plugin-sdk';

/**
 * Runs `work` with the registry client of a sign/verify task, closed afterwards. On a worker
 * (ctx.platform set) the registry is reached on a client's behalf, so the operator's host policy
 * applies (BULKHEAD_REGISTRY_ALLOWED_HOSTS, BULKHEAD_REGISTRY_ALLOW_PRIVATE,
 * BULKHEAD_REGISTRY_INSECURE_HOSTS: link-local and metadata addresses never, redirects
 * re-checked); inline (the CLI) the user's own credentials and network apply. With `pullOf` (a
 * read-only task's reference), a worker also offers the platform's credentials for that pull
 * (a running workload's pull secret, read now, never stored), to that registry host only.
 */
export async function withRegistryClient<T>(
  ctx: Pick<TaskContext, 'platform' | 'signal'>,
  work: (client: RegistryClient) => Promise<T>,
  env: NodeJS.ProcessEnv = process.env,
  pullOf?: string,
): Promise<T> {
  const server = registryServerConfigFromEnv(env);
  const pull = pullOf !== undefined && ctx.platform ? parseRegistryReference(pullOf) : undefined;
  const credentials = pull ? platformPullCredentials(ctx.platform, { registry: pull.registry, repository: pull.repository, ...(pull.digest ? { digest: pull.digest } : {}) }) : undefined;
  const client = ctx.platform
    ? new RegistryClient({ hostPolicy: server.hostPolicy, insecureHosts: server.insecureHosts, signal: ctx.signal, ...(credentials ? { credentials } : {}) })
    : new RegistryClient({ insecureHosts: server.insecureHosts, signal: ctx.signal });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

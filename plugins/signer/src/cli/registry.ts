import { RegistryClient, registryServerConfigFromEnv } from '@bulkhead/oci';

/**
 * The CLI's registry client: the user's docker credentials ($REGISTRY_AUTH_FILE,
 * ~/.docker/config.json), plain HTTP for loopback and BULKHEAD_REGISTRY_INSECURE_HOSTS. Closed
 * after `work`.
 */
export async function withCliRegistry<T>(signal: AbortSignal, work: (client: RegistryClient) => Promise<T>): Promise<T> {
  const client = new RegistryClient({ insecureHosts: registryServerConfigFromEnv(process.env).insecureHosts, signal });
  try {
    return await work(client);
  } finally {
    client.close();
  }
}

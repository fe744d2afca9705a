import { readFile } from 'node:fs/promises';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { load as parseYaml } from 'js-yaml';
import type { KubeConfig } from '@kubernetes/client-node';
import { obj, objs, str } from '../k8s/objects';

/** How to reach a cluster: a kubeconfig file (optionally one of its contexts) or the pod's service account. */
export interface ConnectOptions {
  kubeconfig?: string;
  context?: string;
  inCluster?: boolean;
  /**
   * Where the connection is made. On a server (a worker) the kubeconfig must be self-contained:
   * no file references (`token-file`, `client-certificate`, `certificate-authority`, …: they
   * would send files of the worker to the server the kubeconfig names) and no `exec` or
   * `auth-provider` (commands run on the worker) unless `allowExec`. The CLI runs the user's
   * own kubeconfig as kubectl does.
   */
  onServer?: boolean;
  allowExec?: boolean;
}

export interface ClusterConnection {
  kc: KubeConfig;
  server: string;
  context: string;
  source: 'kubeconfig' | 'in-cluster';
  /** The context's default namespace, if it names one. */
  namespace?: string;
}

/** The client library is ESM-only and large: loaded on first connection, never by `bulkhead --help`. */
export async function loadClientNode(): Promise<typeof import('@kubernetes/client-node')> {
  return import('@kubernetes/client-node');
}

const FILE_FIELDS = {
  user: ['token-file', 'tokenFile', 'client-certificate', 'client-key'],
  cluster: ['certificate-authority'],
} as const;

/** Reads and checks a kubeconfig, selects the context, and returns the connection to make. */
export async function connect(options: ConnectOptions): Promise<ClusterConnection> {
  if (options.inCluster) {
    if (options.kubeconfig) throw new BadInputError('inCluster and kubeconfig exclude each other: give one');
    // What the kubelet gives every pod; without it this process does not run in a cluster.
    if (!process.env['KUBERNETES_SERVICE_HOST']) throw new BadInputError('inCluster: this process does not run in a Kubernetes pod (KUBERNETES_SERVICE_HOST is not set); give a kubeconfig instead');
    const kc = new (await loadClientNode()).KubeConfig();
    kc.loadFromCluster();
    const server = kc.getCurrentCluster()?.server ?? '';
    return { kc, server, context: 'in-cluster', source: 'in-cluster' };
  }
  let text: string;
  let file = options.kubeconfig;
  if (file) {
    text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new BadInputError(`cannot read kubeconfig ${file}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`);
    });
  } else {
    if (options.onServer) throw new BadInputError('kubeconfig: a server needs the path of a kubeconfig file (or inCluster: true)');
    file = process.env['KUBECONFIG']?.split(':')[0] || `${process.env['HOME'] ?? ''}/.kube/config`;
    text = await readFile(file, 'utf8').catch(() => {
      throw new BadInputError(`no kubeconfig: ${file} cannot be read; give --kubeconfig FILE or set KUBECONFIG`);
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new BadInputError(`kubeconfig ${file} is not valid YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  if (!obj(raw)) throw new BadInputError(`kubeconfig ${file} is not a kubeconfig (expected a mapping with clusters, users and contexts)`);
  if (options.onServer) checkServerKubeconfig(raw as Record<string, unknown>, file, options.allowExec === true);
  // Loaded only now: a bad path or file is reported without loading the (large) client.
  const kc = new (await loadClientNode()).KubeConfig();
  try {
    kc.loadFromString(text);
  } catch (error) {
    throw new BadInputError(`kubeconfig ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (options.context) {
    if (!kc.getContextObject(options.context)) {
      throw new BadInputError(`kubeconfig ${file} has no context ${JSON.stringify(options.context)}; it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}`);
    }
    kc.setCurrentContext(options.context);
  }
  const context = kc.getCurrentContext();
  const contextObject = kc.getContextObject(context);
  const cluster = kc.getCurrentCluster();
  if (!contextObject || !cluster) throw new BadInputError(`kubeconfig ${file}: the current context ${JSON.stringify(context)} names no cluster`);
  if (!/^https?:\/\//.test(cluster.server)) throw new BadInputError(`kubeconfig ${file}: cluster ${cluster.name} has no http(s) server URL`);
  // A server talks to API servers over TLS only: a plain-HTTP URL from a kubeconfig would let a
  // task probe internal HTTP services (cloud metadata) from the worker.
  if (options.onServer && !cluster.server.startsWith('https://')) throw new BadInputError(`kubeconfig ${file}: cluster ${cluster.name}: a server connects to API servers over https only, not ${JSON.stringify(cluster.server)}`);
  return { kc, server: cluster.server, context, source: 'kubeconfig', ...(contextObject.namespace ? { namespace: contextObject.namespace } : {}) };
}

/**
 * A kubeconfig a server may use: every credential inline (`*-data`, `token`), no file the worker
 * would read and send, no command it would run (unless the operator allowed exec credentials).
 */
export function checkServerKubeconfig(raw: Record<string, unknown>, file: string, allowExec: boolean): void {
  for (const [i, entry] of objs(raw['users']).entries()) {
    const user = obj(entry['user']) ?? {};
    const where = `users[${i}] (${str(entry['name']) || 'unnamed'})`;
    for (const field of FILE_FIELDS.user) {
      if (user[field] !== undefined) throw new BadInputError(`kubeconfig ${file}: ${where}.user.${field} refers to a file, which a server does not read; embed the credential (${field === 'token-file' || field === 'tokenFile' ? 'token' : `${field}-data`})`);
    }
    if (!allowExec && (user['exec'] !== undefined || user['auth-provider'] !== undefined)) {
      const field = user['exec'] !== undefined ? 'exec' : 'auth-provider';
      throw new BadInputError(`kubeconfig ${file}: ${where}.user.${field} runs a command on the worker; allowed only with allowExec: true where the operator set BULKHEAD_ENABLE_CLUSTER_EXEC_CREDENTIALS=true`);
    }
  }
  for (const [i, entry] of objs(raw['clusters']).entries()) {
    const cluster = obj(entry['cluster']) ?? {};
    for (const field of FILE_FIELDS.cluster) {
      if (cluster[field] !== undefined) throw new BadInputError(`kubeconfig ${file}: clusters[${i}].cluster.${field} refers to a file, which a server does not read; embed it (${field}-data)`);
    }
  }
}

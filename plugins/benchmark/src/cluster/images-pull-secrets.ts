import { readFile } from 'node:fs/promises';
import { BadInputError, type PluginServiceContext, type RegistryCredentialService, type RegistryPullCredential, type RegistryPullRequest } from '@bulkhead/plugin-sdk';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import { parseRegistryReference, pullSecretCredential } from '@bulkhead/oci';
import { z } from 'zod';

/*
 * The `registryCredentials` plugin service (SDK services.ts): the pull secrets of the workloads
 * that run an image, read from the cluster at the moment a worker pulls it (the scanner's
 * scan-image, the signer's verify-image ask when the registry answers 401), handed to the
 * registry client for that registry host only, and forgotten. No Secret value is ever in a task
 * input, a table, a log line or Redis: the inventory stores the secrets' names
 * (`cluster_workload.image_pull_secrets`), and this table only how to reach the cluster again.
 *
 * Reading a Secret needs `get` on secrets, which RBAC cannot narrow to pull secrets, so it is an
 * operator's opt-in twice over: `BULKHEAD_ENABLE_CLUSTER_PULL_SECRETS=true` before a
 * scan-cluster-images task may name a connection (`pullSecrets`), and the extra ClusterRole.
 */

export const PULL_SECRETS_SETTING = 'BULKHEAD_ENABLE_CLUSTER_PULL_SECRETS';

export const CLUSTER_PULL_ACCESS_MIGRATION = {
  id: '0101-cluster-pull-access',
  up: async (db: Pick<PluginDatabase, 'query'>): Promise<void> => {
    await db.query(
      `CREATE TABLE cluster_pull_access (
         team text NOT NULL, cluster text NOT NULL, kubeconfig text, context text, in_cluster boolean NOT NULL DEFAULT false,
         updated_at timestamptz(3) NOT NULL DEFAULT now(), PRIMARY KEY (team, cluster))`,
    );
  },
};

/** How a worker reaches the cluster to read a pull secret: a kubeconfig path on the server (and context), or the pod's service account. */
export const pullAccessInput = z
  .object({
    kubeconfig: z.string().min(1).max(4096).optional().describe('Server-side path of a kubeconfig (confined by BULKHEAD_ALLOWED_PATHS) whose user may get secrets'),
    context: z.string().min(1).max(253).optional(),
    inCluster: z.boolean().optional().describe("The worker pod's service account"),
  })
  .refine((a) => Boolean(a.kubeconfig) !== Boolean(a.inCluster), { message: 'give kubeconfig or inCluster: true (one of them)' });
export type PullAccess = z.output<typeof pullAccessInput>;

export async function recordPullAccess(db: PluginDatabase, team: string, cluster: string, access: PullAccess): Promise<void> {
  await db.query(
    `INSERT INTO cluster_pull_access (team, cluster, kubeconfig, context, in_cluster) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (team, cluster) DO UPDATE SET kubeconfig = EXCLUDED.kubeconfig, context = EXCLUDED.context, in_cluster = EXCLUDED.in_cluster, updated_at = now()`,
    [team, cluster, access.kubeconfig ?? null, access.context ?? null, access.inCluster === true],
  );
}

/** Pull secrets tried for one pull at most (the workloads running a digest usually share one). */
const MAX_SECRETS_TRIED = 10;
const DOCKER_CONFIG_TYPES: Record<string, string> = { 'kubernetes.io/dockerconfigjson': '.dockerconfigjson', 'kubernetes.io/dockercfg': '.dockercfg' };

interface Candidate {
  cluster: string;
  namespace: string;
  secret: string;
  repository: string;
  kubeconfig: string | null;
  context: string | null;
  in_cluster: boolean;
}

/** A kubeconfig for a server: self-contained (no files of the worker sent away) and running no command. */
async function kubeConfigFor(candidate: Candidate): Promise<import('@kubernetes/client-node').KubeConfig> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  if (candidate.in_cluster) {
    kc.loadFromCluster();
    return kc;
  }
  const file = candidate.kubeconfig ?? '';
  kc.loadFromString(await readFile(file, 'utf8'));
  if (candidate.context) kc.setCurrentContext(candidate.context);
  const user = kc.getCurrentUser();
  const cluster = kc.getCurrentCluster();
  if (!user || !cluster) throw new BadInputError(`kubeconfig ${file}: no user or cluster for context ${kc.getCurrentContext()}`);
  if (user.exec || user.authProvider) throw new BadInputError(`kubeconfig ${file}: an exec or auth-provider credential would run a command on the worker; use a token or client certificate`);
  if (user.certFile || user.keyFile || cluster.caFile) throw new BadInputError(`kubeconfig ${file}: file references are refused on a server; embed the data (client-certificate-data, certificate-authority-data)`);
  return kc;
}

async function readPullSecret(candidate: Candidate, registry: string): Promise<RegistryPullCredential | undefined> {
  const k8s = await import('@kubernetes/client-node');
  const api = (await kubeConfigFor(candidate)).makeApiClient(k8s.CoreV1Api);
  const label = `pull secret ${candidate.namespace}/${candidate.secret} of cluster ${candidate.cluster}`;
  let secret;
  try {
    secret = await api.readNamespacedSecret({ name: candidate.secret, namespace: candidate.namespace });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 404) return undefined;
    throw new BadInputError(`${label} could not be read (${code === 403 ? 'forbidden: the connection needs get on secrets' : `HTTP ${String(code ?? (error as Error).message)}`})`);
  }
  const key = DOCKER_CONFIG_TYPES[secret.type ?? ''];
  const data = key ? secret.data?.[key] : undefined;
  if (!data) return undefined;
  return pullSecretCredential(Buffer.from(data, 'base64').toString('utf8'), registry, label);
}

/** The service for one team (the host instantiates it per caller's team). */
export function pullSecretCredentials(context: PluginServiceContext): RegistryCredentialService {
  return {
    async forPull(request: RegistryPullRequest): Promise<RegistryPullCredential | undefined> {
      // Only a pull of a digest the team's clusters run (what the kubelet pulled with these secrets).
      if (!request.digest) return undefined;
      const candidates = await context.database.query<Candidate>(
        `SELECT DISTINCT w.cluster, w.namespace, s.secret, i.repository, a.kubeconfig, a.context, a.in_cluster
           FROM cluster_workload_image i
           JOIN cluster_workload w ON w.team = i.team AND w.cluster = i.cluster AND w.uid = i.workload_uid
           CROSS JOIN LATERAL unnest(w.image_pull_secrets) AS s(secret)
           JOIN cluster_pull_access a ON a.team = w.team AND a.cluster = w.cluster
          WHERE i.team = $1 AND i.digest = $2 AND i.repository IS NOT NULL
          ORDER BY w.cluster, w.namespace, s.secret LIMIT $3`,
        [context.team, request.digest, MAX_SECRETS_TRIED * 4],
      );
      let tried = 0;
      for (const candidate of candidates) {
        // The workload pulled this digest from this registry and repository (Docker Hub names normalised).
        let pulled;
        try {
          pulled = parseRegistryReference(`${candidate.repository}@${request.digest}`);
        } catch {
          continue;
        }
        if (pulled.registry !== request.registry || pulled.repository !== request.repository) continue;
        if (++tried > MAX_SECRETS_TRIED) break;
        const credential = await readPullSecret(candidate, request.registry);
        if (credential) return credential;
      }
      return undefined;
    },
  };
}

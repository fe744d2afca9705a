import { BadInputError, type TaskContext, type TaskPlatform } from '@bulkhead/plugin-sdk';
import { parseRegistryReference, type CredentialSource } from '@bulkhead/oci';
import { CREDENTIAL_KEY_SETTING, openCredential, parseCredentialKey } from './credential-key';
import { credentialBinding } from './credential-binding';
import { basicCredentials } from './scan-request';
import { dropCredential, getScan, readCredential } from './scan-store';

/**
 * On the worker: the registry credential of the Harbor scan a `scan-image` task was queued for
 * (input `harborScan`), opened from the plugin's table with the key in the worker's environment.
 *
 * The credential answers only for the registry host Harbor named, and only when the task scans
 * exactly the image of that scan request: a client that queues scan-image by itself with another
 * task's scan id and its own target gets an error, never Harbor's credentials sent elsewhere.
 * `done()` erases it once the scan has succeeded (a failed attempt keeps it for the retry; the
 * API erases it when it reports the end, and its time limit erases it in any case).
 */
export async function harborScanCredentials(
  platform: Pick<TaskPlatform, 'team' | 'database'>,
  scanId: string,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ credentials: CredentialSource; done(): Promise<void> }> {
  const scan = await getScan(platform.database, platform.team, scanId);
  if (!scan) throw new BadInputError(`harborScan ${scanId}: no such Harbor scan request in team ${platform.team}`);
  const reference = parseRegistryReference(source);
  const registryHost = new URL(scan.registryUrl).host;
  if (reference.registry !== registryHost || reference.repository !== scan.repository || reference.digest !== scan.digest) {
    throw new BadInputError(`harborScan ${scanId}: the scan request was for ${registryHost}/${scan.repository}@${scan.digest}, not ${source}`);
  }
  const stored = await readCredential(platform.database, platform.team, scanId);
  let credential: { username: string; password: string } | undefined;
  if (stored) {
    const key = parseCredentialKey(env[CREDENTIAL_KEY_SETTING]);
    if (!key) throw new BadInputError(`harborScan ${scanId}: the scan carries a registry credential, but ${CREDENTIAL_KEY_SETTING} is not set on this worker (it must equal the API's)`);
    credential = basicCredentials(openCredential(key, stored.sealed, credentialBinding(platform.team, scanId)));
  }
  return {
    credentials: { lookup: async (registry) => (credential && registry === registryHost ? credential : undefined) },
    done: () => dropCredential(platform.database, platform.team, scanId),
  };
}

/** harborScanCredentials for a task's context: only on a worker (the inline CLI has no Harbor scans). */
export function harborCredentialsForTask(ctx: Pick<TaskContext, 'platform'>, scanId: string, source: string): ReturnType<typeof harborScanCredentials> {
  if (!ctx.platform) throw new BadInputError('harborScan is set by the Harbor adapter on a server; it has no meaning inline');
  return harborScanCredentials(ctx.platform, scanId, source);
}

import { execFile } from 'node:child_process';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { DOCKER_HUB } from './reference';

export type Credential = { username: string; password: string } | { identityToken: string };

export interface CredentialSource {
  lookup(registry: string): Promise<Credential | undefined>;
}

const MAX_CONFIG_BYTES = 1024 * 1024;
const HELPER_TIMEOUT_MS = 15_000;
const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** `https://host:5000/v1/` and `host:5000` name the same registry in a config's keys. */
function normaliseKey(key: string): string {
  return key
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
}

function keysFor(registry: string): string[] {
  return registry === DOCKER_HUB ? DOCKER_HUB_KEYS.map(normaliseKey) : [registry.toLowerCase()];
}

/** The config file in force: the one given, $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json. */
export function dockerConfigPath(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): string {
  const env = options.env ?? process.env;
  if (options.file) return options.file;
  if (env['REGISTRY_AUTH_FILE']) return env['REGISTRY_AUTH_FILE'];
  if (env['DOCKER_CONFIG']) return path.join(env['DOCKER_CONFIG'], 'config.json');
  return path.join(env['HOME'] || homedir(), '.docker', 'config.json');
}

async function readConfig(file: string): Promise<DockerConfig | undefined> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new BadInputError(`registry credentials ${file}: cannot read: ${(error as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (info.size > MAX_CONFIG_BYTES) throw new BadInputError(`registry credentials ${file}: ${info.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
    const text = await handle.readFile('utf8');
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new BadInputError(`registry credentials ${file}: invalid JSON: ${(error as Error).message}`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new BadInputError(`registry credentials ${file}: expected a JSON object`);
    return value as DockerConfig;
  } finally {
    await handle.close();
  }
}

function fromEntry(entry: AuthEntry, file: string, key: string): Credential | undefined {
  if (typeof entry.identitytoken === 'string' && entry.identitytoken) return { identityToken: entry.identitytoken };
  if (typeof entry.auth === 'string' && entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new BadInputError(`registry credentials ${file}: auths["${key}"].auth is not base64 of user:password`);
    return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (typeof entry.username === 'string' && typeof entry.password === 'string') return { username: entry.username, password: entry.password };
  return undefined;
}

/** Runs `docker-credential-<helper> get` (docker's credential helper protocol). */
function runHelper(helper: string, registry: string, file: string): Promise<Credential | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(helper)) return Promise.reject(new BadInputError(`registry credentials ${file}: credential helper name ${JSON.stringify(helper)} is not valid`));
  const server = registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry;
  return new Promise((resolve, reject) => {
    const child = execFile(`docker-credential-${helper}`, ['get'], { timeout: HELPER_TIMEOUT_MS, maxBuffer: 64 * 1024 }, (error, stdout) => {
      if (error) {
        // Helpers answer "credentials not found in native keychain" with exit 1: no credential.
        if (/not found/i.test(String(stdout)) || /not found/i.test(error.message)) return resolve(undefined);
        return reject(new BadInputError(`registry credentials: docker-credential-${helper} get failed for ${registry}: ${error.message}`));
      }
      try {
        const parsed = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!parsed.Secret) return resolve(undefined);
        resolve(parsed.Username === '<token>' ? { identityToken: parsed.Secret } : { username: parsed.Username ?? '', password: parsed.Secret });
      } catch {
        reject(new BadInputError(`registry credentials: docker-credential-${helper} answered something other than JSON for ${registry}`));
      }
    });
    child.stdin?.end(server);
  });
}

/**
 * Credentials from a docker-style config file (docker's config.json, podman's auth.json): the
 * `auths` entries (`auth` = base64 user:password, or `identitytoken`), then `credHelpers` /
 * `credsStore` helpers. The file is read on each lookup so a `docker login` in between counts.
 */
export function dockerConfigCredentials(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): CredentialSource {
  const file = dockerConfigPath(options);
  return {
    async lookup(registry: string): Promise<Credential | undefined> {
      const config = await readConfig(file);
      if (!config) return undefined;
      const keys = keysFor(registry);
      const auths = config.auths && typeof config.auths === 'object' ? config.auths : {};
      for (const [key, entry] of Object.entries(auths)) {
        if (!entry || typeof entry !== 'object' || !keys.includes(normaliseKey(key))) continue;
        const credential = fromEntry(entry, file, key);
        if (credential) return credential;
      }
      const helpers = config.credHelpers && typeof config.credHelpers === 'object' ? config.credHelpers : {};
      const helper = Object.entries(helpers).find(([key]) => keys.includes(normaliseKey(key)))?.[1] ?? config.credsStore;
      return typeof helper === 'string' && helper ? runHelper(helper, registry, file) : undefined;
    },
  };
}

/**
 * The credential for `registry` in the JSON of a Kubernetes pull secret (`.dockerconfigjson`,
 * or the older `.dockercfg`, which is the `auths` map alone), or undefined when it has none.
 * Only inline entries count: a pull secret's `credHelpers` / `credsStore` would run a program on
 * the machine that pulls, so they are ignored. `label` names the secret in errors, never its text.
 */
export function pullSecretCredential(json: string, registry: string, label: string): Credential | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new BadInputError(`${label}: not JSON`);
  }
  if (!parsed || typeof parsed !== 'object') throw new BadInputError(`${label}: not a JSON object`);
  const object = parsed as { auths?: unknown };
  const auths = (object.auths && typeof object.auths === 'object' ? object.auths : object) as Record<string, unknown>;
  const keys = keysFor(registry);
  for (const [key, entry] of Object.entries(auths)) {
    if (!entry || typeof entry !== 'object' || !keys.includes(normaliseKey(key))) continue;
    const credential = fromEntry(entry as AuthEntry, label, key);
    if (credential) return credential;
  }
  return undefined;
}

/** Fixed credentials (tests, or a caller that got them elsewhere). */
export function staticCredentials(entries: Record<string, Credential>): CredentialSource {
  return { lookup: async (registry) => entries[registry] };
}

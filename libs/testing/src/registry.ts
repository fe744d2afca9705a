import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sharedDir, SHARED_DIR_VARIABLE } from './shared-data';
import { skipSuite } from './skip-suite';

/**
 * A throw-away OCI registry (distribution 2.8, Debian's docker-registry) for one test suite,
 * started with ../shared/tools/start-registry.sh on a free loopback port and stopped afterwards.
 */
export interface TestRegistry {
  /** `127.0.0.1:<port>`: the registry part of references. */
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  readonly dir: string;
  stop(): Promise<void>;
}

export type TestRegistryAuth =
  | { mode: 'none' }
  | { mode: 'htpasswd'; user: string; password: string }
  | { mode: 'token'; realm: string; service: string; issuer: string; rootCertFile: string };

function registryScript(name: string): string {
  return path.join(sharedDir(), 'tools', name);
}

function commandExists(command: string): boolean {
  return (process.env['PATH'] ?? '').split(path.delimiter).some((dir) => dir && existsSync(path.join(dir, command)));
}

/** Why a registry cannot be started here, or undefined when it can. */
export function testRegistryMissing(): string | undefined {
  const script = registryScript('start-registry.sh');
  if (!existsSync(script)) return `needs ${script} (the outside tools folder; ${SHARED_DIR_VARIABLE} names it, default ../shared), which is absent`;
  // The script installs docker-registry with apt-get when it runs as root.
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!commandExists('docker-registry') && !root) return 'needs the docker-registry binary (Debian package docker-registry), which is absent, and is not root to install it';
  return undefined;
}

/** A free TCP port on 127.0.0.1 (bound and released; the registry takes it right after). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { env, timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(script)} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** Starts a registry (call it in beforeAll; call stop() in afterAll). */
export async function startTestRegistry(auth: TestRegistryAuth = { mode: 'none' }): Promise<TestRegistry> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'bulkhead-registry-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEST_REGISTRY_HOST: '127.0.0.1',
    TEST_REGISTRY_PORT: String(port),
    TEST_REGISTRY_DIR: path.join(dir, 'registry'),
    TEST_REGISTRY_STATE: path.join(dir, 'state'),
    TEST_REGISTRY_AUTH: auth.mode,
  };
  if (auth.mode === 'htpasswd') Object.assign(env, { TEST_REGISTRY_USER: auth.user, TEST_REGISTRY_PASSWORD: auth.password });
  if (auth.mode === 'token') {
    Object.assign(env, {
      TEST_REGISTRY_TOKEN_REALM: auth.realm,
      TEST_REGISTRY_TOKEN_SERVICE: auth.service,
      TEST_REGISTRY_TOKEN_ISSUER: auth.issuer,
      TEST_REGISTRY_TOKEN_ROOTCERT: auth.rootCertFile,
    });
  }
  await run(registryScript('start-registry.sh'), [], env);
  let stopped = false;
  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    async stop() {
      if (stopped) return;
      stopped = true;
      // Tolerant: a failing teardown must not hang or fail the run (see STACK.md).
      await run(registryScript('stop-registry.sh'), [], env).catch((error: Error) => process.stderr.write(`${error.message}\n`));
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

/**
 * `describe` for a suite that needs a real registry: skipped with one printed line when it
 * cannot be started here (see testRegistryMissing); `registry()` returns the running one inside
 * the tests. The registry starts before the suite's own beforeAll hooks and stops after them.
 */
export function describeWithRegistry(name: string, fn: (registry: () => TestRegistry) => void, auth: TestRegistryAuth | (() => Promise<TestRegistryAuth>) = { mode: 'none' }): void {
  const missing = testRegistryMissing();
  if (missing) {
    skipSuite(name, missing);
    return;
  }
  describe(name, () => {
    let current: TestRegistry | undefined;
    beforeAll(async () => {
      current = await startTestRegistry(typeof auth === 'function' ? await auth() : auth);
    }, 120_000);
    afterAll(async () => {
      await current?.stop();
    }, 60_000);
    fn(() => {
      if (!current) throw new Error('the test registry did not start (see the beforeAll error)');
      return current;
    });
  });
}

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';

/** The compiled API entry (benchmarks run from dist/bench, beside dist/apps). */
export const API_MAIN = path.resolve(__dirname, '..', '..', 'apps', 'api', 'src', 'main.js');

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Starts the real API as its own process (as deployed: every built-in plugin's api entry, auth,
 * limits) with `env` over this process's environment, and waits until /readyz answers.
 */
export async function startApiProcess(env: Record<string, string>, readyWithinMs = 120_000): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  // NODE_ENV=production as the image runs it (docker/Dockerfile): graphql-js's development-mode
  // instanceOf checks alone cost ~5% of a request.
  const child = spawn(process.execPath, [API_MAIN], { env: { NODE_ENV: 'production', ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited with ${child.exitCode}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return { url, child };
    if (Date.now() > deadline) throw new Error(`the API did not become ready within ${readyWithinMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

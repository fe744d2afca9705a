import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '@bulkhead/oci/testing';

/**
 * A Postgres cluster of a test's own (initdb into a temporary folder, a free loopback port), for
 * suites that must stop or restart Postgres: the shared server on 5432 is everyone's and is never
 * restarted. initdb refuses to run as root, so as root (CI) every server command runs as the
 * `postgres` user through `runuser`, and the folder belongs to that user.
 */
export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server (`immediate`: a crash, as a killed host would leave it; `fast`: clean), waits `downMs`, starts it again. */
  restart(options?: { mode?: 'fast' | 'immediate'; downMs?: number }): Promise<void>;
  /** Stops the server and removes its folder; never throws. */
  dispose(): Promise<void>;
}

/** The folder of the newest installed Postgres server binaries (PG_BINDIR wins), or undefined. */
export function postgresBinDir(): string | undefined {
  const fromEnv = process.env['PG_BINDIR'];
  if (fromEnv) return existsSync(path.join(fromEnv, 'initdb')) ? fromEnv : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(path.join(root, v, 'bin', 'initdb')) && existsSync(path.join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : path.join(root, versions[0], 'bin');
}

/** Why a private cluster cannot run here (a sentence for skipSuite), or undefined when it can. */
export function privatePostgresMissing(): string | undefined {
  if (!postgresBinDir()) return 'no Postgres server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin or PG_BINDIR';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0) return 'running as root and there is no `postgres` user to run initdb as';
  return undefined;
}

/** Creates, starts and returns a private cluster; throws naming the failing command and its output. */
export async function startPrivatePostgres(options: { label?: string; maxConnections?: number } = {}): Promise<PrivatePostgres> {
  const missing = privatePostgresMissing();
  if (missing) throw new Error(`cannot start a private Postgres: ${missing}`);
  const bin = postgresBinDir() as string;
  const asRoot = process.getuid?.() === 0;
  const base = mkdtempSync(path.join(tmpdir(), `bh-pg-${options.label ?? 'private'}-`));
  const dataDir = path.join(base, 'data');
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(base, uid, gid);
  }
  const run = (tool: string, args: string[]): void => {
    const [command, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path.join(bin, tool), ...args]] : [path.join(bin, tool), args];
    const result = spawnSync(command, argv, { encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${result.status ?? result.signal}): ${(result.stderr || result.stdout || String(result.error ?? '')).trim()}`);
  };
  const port = await freePort();
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
  // The socket lives in the data folder (the default /var/run/postgresql may belong to the shared
  // server); fsync off because nothing here must survive the machine, only the server process.
  const serverOptions = `-p ${port} -k ${dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=${options.maxConnections ?? 200}`;
  const start = (): void => run('pg_ctl', ['-D', dataDir, '-l', path.join(dataDir, 'server.log'), '-o', serverOptions, '-w', '-t', '60', 'start']);
  const stop = (mode: 'fast' | 'immediate'): void => run('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  try {
    start();
  } catch (error) {
    rmSync(base, { recursive: true, force: true });
    throw error;
  }
  let disposed = false;
  const cluster: PrivatePostgres = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async restart({ mode = 'immediate', downMs = 0 } = {}) {
      stop(mode);
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      start();
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      try {
        stop('immediate');
      } catch {
        // Already stopped (or never started): the folder goes anyway.
      }
      rmSync(base, { recursive: true, force: true });
      running.delete(cluster);
    },
  };
  running.add(cluster);
  return cluster;
}

const running = new Set<PrivatePostgres>();

/** Stops every private cluster this process started (for a script's SIGINT/SIGTERM handler: the servers are daemons that outlive it). */
export async function disposeAllPrivatePostgres(): Promise<void> {
  await Promise.all([...running].map((cluster) => cluster.dispose()));
}

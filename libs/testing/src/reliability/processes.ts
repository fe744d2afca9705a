import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@bulkhead/oci/testing';

/** Where the compiled platform lives: a folder holding apps/{api,worker,cli}/src/main.js (dist/, or a test's own swc build). */
export interface CompiledPlatform {
  root: string;
  /** Working directory of the processes (node_modules must resolve from the compiled files). */
  cwd: string;
  /** A folder for each process's whole stderr (`<name>.log`); none when unset. */
  logDir?: string;
}

function logFileOf(compiled: CompiledPlatform, name: string): string | undefined {
  return compiled.logDir ? path.join(compiled.logDir, `${name}.log`) : undefined;
}

/** A platform process started by the suite, with its stderr kept (the last 64 KiB) for reports. */
export class PlatformProcess {
  private output = '';
  /** Set when the process exits: code, or the signal that ended it. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the suite killed it on purpose (an exit then is expected). */
  killedOnPurpose = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    /** A file that receives the whole stderr as well (kept for reading after a failed run). */
    logFile?: string,
  ) {
    if (logFile) child.stderr?.pipe(createWriteStream(logFile));
    let partial = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.output = (this.output + text).slice(-64 * 1024);
      const lines = (partial + text).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.countLine(line);
    });
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stderr(): string {
    return this.output;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Log lines by message (pino JSON on stderr), over the whole life of the process. */
  readonly messages = new Map<string, number>();

  /** When the process first logged "serving queue" (a worker taking jobs). */
  servingSince: number | undefined;

  private countLine(line: string): void {
    const msg = /"msg":"((?:[^"\\]|\\.)*)"/.exec(line)?.[1];
    if (msg !== undefined) this.messages.set(msg, (this.messages.get(msg) ?? 0) + 1);
    if (msg === 'serving queue') this.servingSince ??= Date.now();
  }

  kill(signal: NodeJS.Signals): void {
    this.killedOnPurpose = true;
    if (this.running) this.child.kill(signal);
  }

  /** Resolves when `line` appears in stderr; rejects if the process exits first or time runs out. */
  async waitForLog(line: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(line)) {
      if (!this.running) throw new Error(`${this.name} exited (${JSON.stringify(this.exit)}) before logging ${line}:\n${this.output.slice(-4000)}`);
      if (Date.now() > deadline) throw new Error(`${this.name} did not log ${line} within ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

export interface PlatformEnv {
  DATABASE_URL: string;
  DATABASE_SCHEMA: string;
  REDIS_URL: string;
  BULKHEAD_QUEUE_PREFIX: string;
}

function baseEnv(platform: PlatformEnv, extra: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', TMPDIR: process.env['TMPDIR'] ?? '/tmp', LOG_LEVEL: 'info', ...platform, ...extra };
}

/** Starts the API (apps/api/src/main.js) on a free loopback port; resolves once /readyz answers 200. */
export async function startApi(compiled: CompiledPlatform, platform: PlatformEnv, extra: Record<string, string> = {}): Promise<{ process: PlatformProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(compiled.root, 'apps/api/src/main.js')], {
    cwd: compiled.cwd,
    env: baseEnv(platform, { PORT: String(port), HOST: '127.0.0.1', ...extra }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const api = new PlatformProcess('api', child, logFileOf(compiled, 'api'));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (!api.running) throw new Error(`the API exited (${JSON.stringify(api.exit)}) before it was ready:\n${api.stderr.slice(-4000)}`);
    if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return { process: api, url };
    if (Date.now() > deadline) throw new Error(`the API did not become ready within 120 s:\n${api.stderr.slice(-4000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Spawns a worker (apps/worker/src/main.js); `waitForLog(WORKER_READY)` tells when it is ready. */
export function spawnWorker(compiled: CompiledPlatform, platform: PlatformEnv, name: string, extra: Record<string, string> = {}): PlatformProcess {
  const child = spawn(process.execPath, [path.join(compiled.root, 'apps/worker/src/main.js')], {
    cwd: compiled.cwd,
    env: baseEnv(platform, extra),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new PlatformProcess(name, child, logFileOf(compiled, name));
}

export const WORKER_READY = '"msg":"worker ready"';

/** `bulkhead token create` through the compiled CLI (it also applies the core migrations); returns the secret. */
export async function createApiToken(compiled: CompiledPlatform, platform: PlatformEnv, team: string, role: 'viewer' | 'operator' | 'admin'): Promise<string> {
  // apps/cli/src/main.js exports runCli (bin/bulkhead.js calls it the same way).
  const main = path.join(compiled.root, 'apps/cli/src/main.js');
  const argv = ['node', 'bulkhead', 'token', 'create', '--team', team, '--role', role, '--name', 'reliability'];
  const script = `require(${JSON.stringify(main)}).runCli(${JSON.stringify(argv)}).then((code) => { process.exitCode = code; })`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], {
    cwd: compiled.cwd,
    env: baseEnv(platform, {}),
    timeout: 120_000,
  });
  const secret = stdout.trim().split('\n').at(-1)?.trim() ?? '';
  if (!secret.startsWith('bhk_')) throw new Error(`bulkhead token create printed no token: ${stdout}`);
  return secret;
}

import { spawn } from 'node:child_process';

export interface AuditOptions {
  /** Kill the command (its whole process group) after this long. */
  timeoutMs: number;
  /** Variables for the command, added to the minimal audit environment (auditEnvironment). */
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export interface AuditResult {
  /** stdout and stderr together, as kube-bench captures them. */
  output: string;
  /** Set when the command exited non-zero, was killed, timed out or could not start. */
  error?: string;
  timedOut?: boolean;
}

export type AuditRunner = (command: string, options: AuditOptions) => Promise<AuditResult>;

const MAX_OUTPUT = 4 * 1024 * 1024;

/** Passed through from this process when set: what kube-bench's own audits need (kubectl). */
const PASSED_THROUGH = ['PATH', 'KUBECONFIG'] as const;

/**
 * The environment an audit runs with: PATH (and KUBECONFIG when set), HOME=/nonexistent,
 * LANG=C, plus `extra`. Nothing else of this process reaches it, so database and Redis URLs,
 * tokens and BULKHEAD_* settings of the worker or the CLI never do.
 */
export function auditEnvironment(extra: Record<string, string> = {}, from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/nonexistent', LANG: 'C', LC_ALL: 'C' };
  for (const name of PASSED_THROUGH) {
    const value = from[name];
    if (value !== undefined && value !== '') env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (/[\0\n\r]/.test(value)) throw new Error(`audit variable ${name}: a value must not contain NUL or line breaks`);
    env[name] = value;
  }
  return env;
}

/**
 * Runs an audit the way kube-bench does (`/bin/sh` reading the command text on stdin; stdout and
 * stderr combined; a non-zero exit is an error carrying the output), plus a deadline: the shell
 * runs in its own process group and the whole group is SIGKILLed at the timeout, so a hung
 * `find /` or a blocked `kubectl` cannot stall the benchmark. The command gets only the minimal
 * environment of auditEnvironment, never this process's secrets.
 */
export const runShellAudit: AuditRunner = (command, options) => {
  const audit = command.trim();
  if (audit === '') return Promise.resolve({ output: '' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    let timedOut = false;
    const child = spawn('/bin/sh', [], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: auditEnvironment(options.env),
    });
    const collect = (chunk: Buffer): void => {
      if (size >= MAX_OUTPUT) return;
      chunks.push(chunk);
      size += chunk.length;
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = (): void => killGroup();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const finish = (result: AuditResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    child.on('error', (error) => finish({ output: '', error: `failed to run: ${JSON.stringify(audit)}: ${error.message}` }));
    // 'close' waits for the pipes; a background grandchild holding them open is killed with the group.
    child.on('close', (code, sig) => {
      const output = Buffer.concat(chunks).toString('utf8');
      if (timedOut) {
        finish({ output, timedOut: true, error: `audit timed out after ${options.timeoutMs} ms and was killed: ${JSON.stringify(audit)}` });
      } else if (code !== 0) {
        const status = sig ? `signal: ${sig}` : `exit status ${code}`;
        finish({ output, error: `failed to run: ${JSON.stringify(audit)}, output: ${JSON.stringify(output)}, error: ${status}` });
      } else {
        finish({ output });
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(audit);
  });
};

import { spawn } from 'node:child_process';

export interface AuditOptions {
  /** Kill the command (its whole process group) after this long. */
  timeoutMs: number;
  /** Extra environment for the command (merged over this process's environment). */
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

/**
 * Runs an audit the way kube-bench does (`/bin/sh` reading the command text on stdin; stdout and
 * stderr combined; a non-zero exit is an error carrying the output), plus a deadline: the shell
 * runs in its own process group and the whole group is SIGKILLed at the timeout, so a hung
 * `find /` or a blocked `kubectl` cannot stall the benchmark.
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
      env: { ...process.env, ...options.env },
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

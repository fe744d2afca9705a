import { readFileSync } from 'node:fs';
import { ConfigError } from './config';

/** Variables that may be given as a file instead (`<NAME>_FILE=/path`): ours, and the two service URLs. */
const FILE_VARIABLE = /^((?:BULKHEAD_[A-Z0-9_]+)|DATABASE_URL|REDIS_URL)_FILE$/;
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * `<NAME>_FILE` (Docker/Kubernetes secrets convention): the value of NAME is read from that file,
 * so a credential reaches the process as a mounted Secret file instead of an environment variable
 * (which child processes inherit, `kubectl describe` and crash dumps show, and our own workload
 * check flags: `secrets-as-env`). One trailing newline is dropped. NAME set as well, an unreadable
 * or oversized file, or an empty one is a ConfigError naming the variable, never the value.
 * Applied once at process start, before any configuration is read. Returns the names it set.
 */
export function applySecretFiles(env: NodeJS.ProcessEnv = process.env): string[] {
  const set: string[] = [];
  for (const [fileVariable, file] of Object.entries(env)) {
    const match = FILE_VARIABLE.exec(fileVariable);
    if (!match || file === undefined || file === '') continue;
    const name = match[1] as string;
    if (env[name] !== undefined && env[name] !== '') throw new ConfigError(`${name} and ${fileVariable} are both set: give one`);
    let content: Buffer;
    try {
      content = readFileSync(file);
    } catch (error) {
      throw new ConfigError(`${fileVariable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    if (content.length > MAX_SECRET_FILE_BYTES) throw new ConfigError(`${fileVariable}: ${file} is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    const value = content.toString('utf8').replace(/\r?\n$/, '');
    if (value === '') throw new ConfigError(`${fileVariable}: ${file} is empty`);
    env[name] = value;
    set.push(name);
  }
  return set;
}

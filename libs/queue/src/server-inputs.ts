import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { BadInputError, type ServerInputs, type TaskDefinition } from '@bulkhead/plugin-sdk';

/** Comma-separated folders under which server-side paths in task inputs are accepted. */
export const ALLOWED_PATHS_SETTING = 'BULKHEAD_ALLOWED_PATHS';

const SETTING_NAME = /^BULKHEAD_ENABLE_[A-Z0-9_]+$/;

export interface ServerInputPolicyOptions {
  /** Folders (absolute) under which task inputs may name server-side files. Empty: none. */
  allowedPaths: readonly string[];
  /** Where `BULKHEAD_ENABLE_...` switches are read (default: process.env). */
  settings?: Readonly<Record<string, string | undefined>>;
}

/**
 * What a server lets task inputs reach on its machine. Applied by the API before a task is
 * queued and by the worker again just before it runs (the file system may have changed in
 * between: a folder swapped for a symbolic link is caught at run time). The inline CLI does
 * not use it: there the user's own permissions are the limit.
 */
export class ServerInputPolicy {
  private readonly allowed: readonly string[];
  private readonly settings: Readonly<Record<string, string | undefined>>;

  constructor(options: ServerInputPolicyOptions) {
    for (const root of options.allowedPaths) {
      if (!path.isAbsolute(root)) throw new Error(`${ALLOWED_PATHS_SETTING}: ${JSON.stringify(root)} is not an absolute path`);
    }
    this.allowed = options.allowedPaths.map((root) => path.resolve(root));
    this.settings = options.settings ?? process.env;
  }

  /** From BULKHEAD_ALLOWED_PATHS (comma-separated absolute folders; unset or empty: none). */
  static fromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ServerInputPolicy {
    return new ServerInputPolicy({ allowedPaths: parseAllowedPaths(env[ALLOWED_PATHS_SETTING]), settings: env });
  }

  /** Throws a BadInputError naming the first input the server refuses. */
  async check(definition: Pick<TaskDefinition, 'type' | 'serverInputs'>, input: unknown): Promise<void> {
    if (!definition.serverInputs) return;
    const reach: ServerInputs = definition.serverInputs(input as never);
    if (reach.requiresSetting !== undefined) {
      if (!SETTING_NAME.test(reach.requiresSetting)) throw new Error(`task ${definition.type}: requiresSetting ${JSON.stringify(reach.requiresSetting)} is not a BULKHEAD_ENABLE_... name`);
      if (this.settings[reach.requiresSetting] !== 'true') {
        throw new BadInputError(`task ${definition.type} is turned off on this server; the operator can turn it on with ${reach.requiresSetting}=true`);
      }
    }
    const [trusted] = reach.trustedFields ?? [];
    if (trusted !== undefined) throw new BadInputError(`${trusted}: not accepted from clients on a server; this task uses what the operator configured instead`);
    for (const { field, path: value } of reach.paths ?? []) await this.checkPath(field, value);
  }

  private async checkPath(field: string, value: string): Promise<void> {
    if (/[\0\n\r]/.test(value)) throw new BadInputError(`${field}: a path must not contain NUL or line breaks`);
    if (this.allowed.length === 0) {
      throw new BadInputError(
        `${field}: server-side paths are refused: this server allows none (the operator can allow folders with ${ALLOWED_PATHS_SETTING}=/dir1,/dir2)`,
      );
    }
    if (!path.isAbsolute(value)) throw new BadInputError(`${field}: ${JSON.stringify(value)} must be an absolute path on the server`);
    const refused = new BadInputError(`${field}: ${JSON.stringify(value)} is outside the folders this server allows (${ALLOWED_PATHS_SETTING})`);
    // The spelled path first: nothing outside the roots is even looked at (no existence oracle).
    if (!this.allowed.some((root) => isInside(path.resolve(value), root))) throw refused;
    let real: string;
    try {
      real = await realpath(value);
    } catch {
      throw new BadInputError(`${field}: ${JSON.stringify(value)} does not exist or cannot be read`);
    }
    const roots = await Promise.all(this.allowed.map((root) => realpath(root).catch(() => null)));
    if (!roots.some((root) => root !== null && isInside(real, root))) {
      throw new BadInputError(`${field}: ${JSON.stringify(value)} leads (through a symbolic link) outside the folders this server allows (${ALLOWED_PATHS_SETTING})`);
    }
  }
}

export function parseAllowedPaths(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
}

function isInside(candidate: string, root: string): boolean {
  const relative = path.relative(root, candidate);
  return relative === '' || (relative !== '..' && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative));
}

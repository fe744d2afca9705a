import { realpath } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BadInputError, type ServerInputs, type TaskDefinition } from '@bulkhead/plugin-sdk';

/** Comma-separated folders under which server-side paths in task inputs are accepted. */
export const ALLOWED_PATHS_SETTING = 'BULKHEAD_ALLOWED_PATHS';

/** Folder of uploaded files (one sub-folder per team); default: defaultUploadDir(). */
export const UPLOAD_DIR_SETTING = 'BULKHEAD_UPLOAD_DIR';

const SETTING_NAME = /^BULKHEAD_ENABLE_[A-Z0-9_]+$/;

/** How a task input names an uploaded file: `upload:<id>`, where a server path would go. */
export const UPLOAD_REFERENCE = /^upload:(.*)$/s;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The default upload folder: under the OS temp folder, named for the user, so the API and a
 * worker of the same user on the same machine agree on it (distributed deployments set
 * BULKHEAD_UPLOAD_DIR to a volume both mount). Its ownership and mode are checked when created.
 */
export function defaultUploadDir(): string {
  return path.join(tmpdir(), `bulkhead-uploads-${process.getuid?.() ?? 'user'}`);
}

/** Uploads of the request's team, for resolving `upload:<id>` in task inputs (the API's). */
export interface UploadResolver {
  /** The team of the request: its upload folder is the only one its tasks may read. */
  team(): string;
  /** The absolute path of the team's unexpired upload `id`, or undefined when it has none. */
  path(id: string): Promise<string | undefined>;
}

export interface ServerInputPolicyOptions {
  /** Folders (absolute) under which task inputs may name server-side files. Empty: none. */
  allowedPaths: readonly string[];
  /** Where `BULKHEAD_ENABLE_...` switches are read (default: process.env). */
  settings?: Readonly<Record<string, string | undefined>>;
  /** Folder of uploads (BULKHEAD_UPLOAD_DIR); default: defaultUploadDir(). */
  uploadDir?: string;
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
  /** Absolute folder of uploads; team T's files are in `team-T` under it. */
  readonly uploadDir: string;

  constructor(options: ServerInputPolicyOptions) {
    for (const root of options.allowedPaths) {
      if (!path.isAbsolute(root)) throw new Error(`${ALLOWED_PATHS_SETTING}: ${JSON.stringify(root)} is not an absolute path`);
    }
    this.allowed = options.allowedPaths.map((root) => path.resolve(root));
    this.settings = options.settings ?? process.env;
    const uploadDir = options.uploadDir ?? defaultUploadDir();
    if (!path.isAbsolute(uploadDir)) throw new Error(`${UPLOAD_DIR_SETTING}: ${JSON.stringify(uploadDir)} is not an absolute path`);
    this.uploadDir = path.resolve(uploadDir);
  }

  /** The folder of one team's uploads (team names are lower-case letters, digits, . _ -; the prefix keeps `.` and `..` harmless). */
  teamUploadDir(team: string): string {
    return path.join(this.uploadDir, `team-${team}`);
  }

  /** From BULKHEAD_ALLOWED_PATHS (comma-separated absolute folders; unset or empty: none). */
  static fromEnv(env: Readonly<Record<string, string | undefined>> = process.env): ServerInputPolicy {
    const uploadDir = env[UPLOAD_DIR_SETTING]?.trim();
    return new ServerInputPolicy({ allowedPaths: parseAllowedPaths(env[ALLOWED_PATHS_SETTING]), settings: env, ...(uploadDir ? { uploadDir } : {}) });
  }

  /**
   * The API's step before a task is queued: resolves `upload:<id>` in server path fields to the
   * team's stored files (the input is returned with those fields rewritten to the files' paths),
   * then checks the result like check() does, the team's upload folder allowed.
   */
  async confine(definition: Pick<TaskDefinition, 'type' | 'serverInputs'>, input: unknown, uploads?: UploadResolver): Promise<unknown> {
    const resolved = uploads ? await resolveUploads(definition, input, uploads) : input;
    await this.check(definition, resolved, uploads ? { team: uploads.team() } : {});
    return resolved;
  }

  /**
   * Throws a BadInputError naming the first input the server refuses. With a team, that team's
   * upload folder is allowed too (the worker passes the task row's team).
   */
  async check(definition: Pick<TaskDefinition, 'type' | 'serverInputs'>, input: unknown, context: { team?: string } = {}): Promise<void> {
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
    const roots = context.team === undefined ? this.allowed : [...this.allowed, this.teamUploadDir(context.team)];
    for (const { field, path: value } of reach.paths ?? []) await this.checkPath(field, value, roots);
  }

  private async checkPath(field: string, value: string, allowed: readonly string[]): Promise<void> {
    if (/[\0\n\r]/.test(value)) throw new BadInputError(`${field}: a path must not contain NUL or line breaks`);
    const upload = UPLOAD_REFERENCE.exec(value);
    if (upload) throw new BadInputError(`${field}: no upload ${JSON.stringify(upload[1]?.slice(0, 80))} for this team`);
    if (allowed.length === 0) {
      throw new BadInputError(
        `${field}: server-side paths are refused: this server allows none (the operator can allow folders with ${ALLOWED_PATHS_SETTING}=/dir1,/dir2)`,
      );
    }
    if (!path.isAbsolute(value)) throw new BadInputError(`${field}: ${JSON.stringify(value)} must be an absolute path on the server`);
    const refused = new BadInputError(`${field}: ${JSON.stringify(value)} is outside the folders this server allows (${ALLOWED_PATHS_SETTING})`);
    // The spelled path first: nothing outside the roots is even looked at (no existence oracle).
    if (!allowed.some((root) => isInside(path.resolve(value), root))) throw refused;
    let real: string;
    try {
      real = await realpath(value);
    } catch {
      throw new BadInputError(`${field}: ${JSON.stringify(value)} does not exist or cannot be read`);
    }
    const roots = await Promise.all(allowed.map((root) => realpath(root).catch(() => null)));
    if (!roots.some((root) => root !== null && isInside(real, root))) {
      throw new BadInputError(`${field}: ${JSON.stringify(value)} leads (through a symbolic link) outside the folders this server allows (${ALLOWED_PATHS_SETTING})`);
    }
  }
}

/**
 * Rewrites each server path field naming `upload:<id>` to the path of the team's stored file.
 * The field's value may wrap the path (`docker-archive:upload:<id>`): the reference is replaced
 * where the task's serverInputs found it, and the rewrite is checked by asking serverInputs
 * again, so a task whose field does not map back is refused instead of guessed at.
 */
async function resolveUploads(definition: Pick<TaskDefinition, 'type' | 'serverInputs'>, input: unknown, uploads: UploadResolver): Promise<unknown> {
  if (!definition.serverInputs) return input;
  let current: unknown = input;
  for (const { field, path: value } of definition.serverInputs(input as never).paths ?? []) {
    const match = UPLOAD_REFERENCE.exec(value);
    if (!match) continue;
    const id = match[1] ?? '';
    const file = UUID.test(id) ? await uploads.path(id.toLowerCase()) : undefined;
    if (file === undefined) throw new BadInputError(`${field}: no upload ${JSON.stringify(id.slice(0, 80))} for this team`);
    const original = fieldValue(current, field);
    const at = typeof original === 'string' ? original.lastIndexOf(value) : -1;
    if (typeof original !== 'string' || at < 0) throw new BadInputError(`${field}: an upload cannot be named in this field`);
    const next = withFieldValue(current, field, original.slice(0, at) + file + original.slice(at + value.length));
    const after = definition.serverInputs(next as never).paths?.find((p) => p.field === field)?.path;
    if (after !== file) throw new BadInputError(`${field}: an upload cannot be named in this field`);
    current = next;
  }
  return current;
}

function fieldValue(input: unknown, field: string): unknown {
  let value: unknown = input;
  for (const key of field.split('.')) value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return value;
}

/** A copy of `input` with the dotted `field` (`source`, `paths.1`) set, every object and array on the way copied. */
function withFieldValue(input: unknown, field: string, value: unknown): unknown {
  const [key, ...rest] = field.split('.');
  const container = input as Record<string, unknown> | unknown[];
  const copy: Record<string, unknown> | unknown[] = Array.isArray(container) ? [...container] : { ...container };
  const next = rest.length === 0 ? value : withFieldValue((container as Record<string, unknown>)[key as string], rest.join('.'), value);
  (copy as Record<string, unknown>)[key as string] = next;
  return copy;
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

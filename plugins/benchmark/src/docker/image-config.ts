import { BadInputError } from '@bulkhead/plugin-sdk';
import type { Assessment, DockleCode } from './checkpoints';
import { shellWords } from './shell-words';

/** The parts of a Docker/OCI image config JSON the image checks read. */
export interface ImageConfigJson {
  config?: {
    User?: string | null;
    Healthcheck?: unknown;
    Volumes?: Record<string, unknown> | null;
    Env?: string[] | null;
  } | null;
  history?: { created_by?: string; empty_layer?: boolean }[] | null;
}

export interface ImageConfigOptions {
  /** How the image was named; `...:latest` gives DKL-DI-0006. */
  reference?: string;
  /** Dockle reads DOCKER_CONTENT_TRUST from the scanning host's environment (CIS-DI-0005). */
  contentTrust?: boolean;
  /** Extra words that make an ENV/ARG name suspicious (Dockle's --sensitive-word). */
  sensitiveWords?: readonly string[];
  /** ENV/ARG names never reported (Dockle's --accept-key). */
  acceptKeys?: readonly string[];
}

/** Codes the image-config checks cover (PASS is reported for those that find nothing). */
export const IMAGE_CONFIG_CODES: readonly DockleCode[] = [
  'CIS-DI-0001',
  'CIS-DI-0005',
  'CIS-DI-0006',
  'CIS-DI-0007',
  'CIS-DI-0009',
  'CIS-DI-0010',
  'DKL-DI-0001',
  'DKL-DI-0002',
  'DKL-DI-0003',
  'DKL-DI-0004',
  'DKL-DI-0005',
  'DKL-DI-0006',
];

const SENSITIVE_DIRS = new Set(['/sys', '/dev', '/proc']);
const SUSPICIOUS_ENV_WORDS = ['PASS', 'PASSWD', 'PASSWORD', 'SECRET', 'KEY', 'ACCESS', 'TOKEN'];
const ACCEPTED_ENV_KEYS = ['GPG_KEY', 'GPG_KEYS'];
const REMOVE_APT_LISTS = ['rm', '-rf', '-fr', '-r', '-fR', '/var/lib/apt/lists', '/var/lib/apt/lists/*', '/var/lib/apt/lists/*;'];

/** Parses image config JSON text; a problem names the source. */
export function parseImageConfig(text: string, source: string): ImageConfigJson {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`${source}: not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new BadInputError(`${source}: an image config must be a JSON object`);
  const cfg = parsed as ImageConfigJson;
  if (cfg.history !== undefined && cfg.history !== null && !Array.isArray(cfg.history)) throw new BadInputError(`${source}: history must be a list`);
  return cfg;
}

/**
 * Dockle's manifest assessor: history commands (credentials in ENV/ARG, apk/apt cache, apt
 * update alone, ADD, dist-upgrade, sudo) and config (root user, HEALTHCHECK, sensitive VOLUMEs).
 * The first ADD of the history is exempt: it is the base image's root file system.
 */
export function assessImageConfig(image: ImageConfigJson, options: ImageConfigOptions = {}): Assessment[] {
  const suspicious = new RegExp([...SUSPICIOUS_ENV_WORDS, ...(options.sensitiveWords ?? [])].map(escapeRegExp).join('|'), 'i');
  const accepted = new Set([...ACCEPTED_ENV_KEYS, ...(options.acceptKeys ?? [])]);
  const withIndex: { assessment: Assessment; index: number }[] = [];
  (image.history ?? []).forEach((entry, index) => {
    for (const assessment of assessHistory(entry.created_by ?? '', suspicious, accepted)) withIndex.push({ assessment, index });
  });
  const firstAdd = withIndex.filter((a) => a.assessment.code === 'CIS-DI-0009').sort((a, b) => a.index - b.index)[0];
  const assessments = withIndex.filter((a) => a !== firstAdd).map((a) => a.assessment);

  const config = image.config ?? {};
  if (!config.User || config.User === 'root') assessments.push({ code: 'CIS-DI-0001', filename: 'metadata', desc: 'Last user should not be root' });
  if (config.Healthcheck === undefined || config.Healthcheck === null) {
    assessments.push({ code: 'CIS-DI-0006', filename: 'metadata', desc: 'not found HEALTHCHECK statement' });
  }
  for (const volume of Object.keys(config.Volumes ?? {})) {
    if (SENSITIVE_DIRS.has(volume)) assessments.push({ code: 'DKL-DI-0002', filename: 'metadata', desc: `Avoid mounting sensitive dirs : ${volume}` });
  }
  if (options.reference !== undefined && /:latest$/.test(options.reference)) {
    assessments.push({ code: 'DKL-DI-0006', filename: options.reference, desc: "Avoid 'latest' tag" });
  }
  if (options.contentTrust === false) {
    assessments.push({ code: 'CIS-DI-0005', filename: 'ENVIRONMENT variable on HOST OS', desc: 'export DOCKER_CONTENT_TRUST=1 before docker pull/build' });
  }
  return assessments;
}

function assessHistory(createdBy: string, suspicious: RegExp, accepted: Set<string>): Assessment[] {
  const out: Assessment[] = [];
  const cmds = splitByCommands(createdBy);
  const secret = sensitiveVar(createdBy, suspicious, accepted);
  if (secret) {
    out.push({
      code: 'CIS-DI-0010',
      filename: 'metadata',
      desc: `Suspicious ENV key found : ${secret.name} on ${createdBy.split(secret.value).join('*******')} (You can suppress it with --accept-key)`,
    });
  }
  if (cmds.some((c) => containsAll(c, ['apk', 'add']) && !c.includes('--no-cache'))) {
    out.push({ code: 'DKL-DI-0004', filename: 'metadata', desc: `Use --no-cache option if use 'apk add': ${createdBy}` });
  }
  if (reducibleAptGetInstall(cmds)) {
    out.push({ code: 'DKL-DI-0005', filename: 'metadata', desc: `Use 'rm -rf /var/lib/apt/lists' after 'apt-get install|update' : ${createdBy}` });
  }
  if (reducibleAptGetUpdate(cmds)) {
    out.push({ code: 'CIS-DI-0007', filename: 'metadata', desc: `Always combine 'apt-get update' with 'apt-get install|upgrade' : ${createdBy}` });
  }
  if (cmds.some((c) => containsAll(c, ['ADD', 'in']) || containsAll(c, ['ADD', 'buildkit']))) {
    out.push({ code: 'CIS-DI-0009', filename: 'metadata', desc: `Use COPY : ${createdBy}` });
  }
  if (cmds.some((c) => aptCommand(c, 'dist-upgrade'))) out.push({ code: 'DKL-DI-0003', filename: 'metadata', desc: `Avoid dist-upgrade in container : ${createdBy}` });
  if (cmds.some((c) => c.includes('sudo'))) out.push({ code: 'DKL-DI-0001', filename: 'metadata', desc: `Avoid sudo in container : ${createdBy}` });
  return out;
}

/** Dockle's tokenizer: commands split on `&&`, words on single spaces. */
export function splitByCommands(line: string): string[][] {
  return line.split('&&').map((command) => command.split(' ').map((w) => w.trim()).filter(Boolean));
}

function containsAll(haystack: readonly string[], needles: readonly string[]): boolean {
  return needles.every((n) => haystack.includes(n));
}

function containsThreshold(haystack: readonly string[], needles: readonly string[], threshold: number): boolean {
  return new Set(haystack.filter((h) => needles.includes(h))).size >= threshold;
}

function aptCommand(cmd: readonly string[], command: string): boolean {
  return containsThreshold(cmd, ['apt-get', 'apt', command], 2);
}

function reducibleAptGetUpdate(cmds: readonly string[][]): boolean {
  let updated = false;
  for (const cmd of cmds) {
    if (!updated && aptCommand(cmd, 'update')) updated = true;
    if (updated && (aptCommand(cmd, 'install') || aptCommand(cmd, 'upgrade'))) return false;
  }
  return updated;
}

function reducibleAptGetInstall(cmds: readonly string[][]): boolean {
  let changed = false;
  for (const cmd of cmds) {
    if (!changed && (aptCommand(cmd, 'update') || aptCommand(cmd, 'install'))) changed = true;
    if (changed && containsThreshold(cmd, REMOVE_APT_LISTS, 3)) return false;
  }
  return changed;
}

/** The first `NAME=value` word (shell-split, `#` dropped) whose name looks secret. */
function sensitiveVar(cmd: string, suspicious: RegExp, accepted: Set<string>): { name: string; value: string } | undefined {
  if (!cmd.includes('=')) return undefined;
  for (const word of shellWords(cmd.replace(/#/g, ''))) {
    if (!word.includes('=')) continue;
    const [name = '', value = ''] = word.split('=');
    if (name.includes(' ') || value === '' || accepted.has(name)) continue;
    if (suspicious.test(name)) return { name, value };
  }
  return undefined;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

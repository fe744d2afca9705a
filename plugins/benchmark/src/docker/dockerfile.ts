import { Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import type { Severity } from '@bulkhead/plugin-sdk';
import { benchmarkReport, type BenchmarkCheckResult, type BenchmarkReport, type BenchmarkStatus } from '../report';
import { DOCKLE_CHECKPOINTS, type DockleCode } from './checkpoints';
import { shellWords } from './shell-words';

type Level = 'error' | 'warning' | 'info';

/**
 * Dockerfile rules. Where hadolint has the rule its id, wording and severity are used
 * (https://github.com/hadolint/hadolint#rules); CIS Docker Benchmark section 4 items that hadolint
 * does not cover use Dockle's CIS-DI ids and levels.
 */
export const DOCKERFILE_RULES = {
  DL3000: { level: 'error', title: 'Use absolute WORKDIR' },
  DL3002: { level: 'warning', title: 'Last USER should not be root' },
  DL3003: { level: 'warning', title: 'Use WORKDIR to switch to a directory' },
  DL3004: { level: 'error', title: 'Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root' },
  DL3006: { level: 'warning', title: 'Always tag the version of an image explicitly' },
  DL3007: { level: 'warning', title: 'Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag' },
  DL3008: { level: 'warning', title: 'Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`' },
  DL3009: { level: 'info', title: 'Delete the apt-get lists after installing something' },
  DL3015: { level: 'info', title: 'Avoid additional packages by specifying `--no-install-recommends`' },
  DL3018: { level: 'warning', title: 'Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`' },
  DL3019: { level: 'info', title: 'Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages' },
  DL3020: { level: 'error', title: 'Use COPY instead of ADD for files and folders' },
  DL3025: { level: 'warning', title: 'Use arguments JSON notation for CMD and ENTRYPOINT arguments' },
  DL3027: { level: 'warning', title: 'Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache instead' },
  DL4000: { level: 'error', title: 'MAINTAINER is deprecated' },
  DL4006: { level: 'warning', title: 'Set the SHELL option -o pipefail before RUN with a pipe in it' },
} as const satisfies Record<string, { level: Level; title: string }>;
export type DockerfileRuleId = keyof typeof DOCKERFILE_RULES;

/**
 * Trivy's DS checks the hadolint rules above do not cover, under Trivy's own ids (aquasecurity/
 * trivy-checks `checks/docker`). Severities are Bulkhead's: a repeated CMD is a mistake, not a
 * critical risk as Trivy grades it.
 */
export const TRIVY_DS_RULES = {
  DS004: { severity: 'MEDIUM', title: 'Port 22 exposed' },
  DS006: { severity: 'MEDIUM', title: "COPY '--from' referring to the current image" },
  DS007: { severity: 'MEDIUM', title: 'Multiple ENTRYPOINT instructions listed' },
  DS008: { severity: 'MEDIUM', title: 'Exposed port out of range' },
  DS012: { severity: 'MEDIUM', title: 'Duplicate aliases defined in different FROMs' },
  DS016: { severity: 'LOW', title: 'Multiple CMD instructions listed' },
  DS017: { severity: 'MEDIUM', title: "'RUN <package-manager> update' instruction alone" },
  DS023: { severity: 'LOW', title: 'Multiple HEALTHCHECK defined' },
  DS024: { severity: 'MEDIUM', title: "'apt-get dist-upgrade' used" },
} as const satisfies Record<string, { severity: Severity; title: string }>;
export type TrivyDsRuleId = keyof typeof TRIVY_DS_RULES;

const CIS_CODES = ['CIS-DI-0001', 'CIS-DI-0006', 'CIS-DI-0007', 'CIS-DI-0009', 'CIS-DI-0010'] as const satisfies readonly DockleCode[];
type CisCode = (typeof CIS_CODES)[number];

export interface DockerfileProblem {
  id: DockerfileRuleId | CisCode | TrivyDsRuleId;
  /** 1-based line. */
  line: number;
  message: string;
}

/**
 * Secret variable names are matched by whole words (`DB_PASSWORD`, `apiKey`, `GITHUB_TOKEN`), as
 * Docker's own SecretsUsedInArgOrEnv build check does, so `PASSENGER_VERSION`, `KEYCLOAK_VERSION`
 * and `ACCESS_LOG` are not secrets; a name whose last word says it holds a location or a setting
 * (`DB_PASSWORD_FILE`, `TOKEN_URL`, `KEY_SERVER`) is not either, nor one about a public key.
 */
const SECRET_WORDS = new Set(['PASSWORD', 'PASSWD', 'PASS', 'PWD', 'PWORD', 'SECRET', 'SECRETS', 'TOKEN', 'APIKEY', 'KEY', 'CREDENTIAL', 'CREDENTIALS', 'AUTH', 'PASSPHRASE', 'PRIVATEKEY']);
const NOT_SECRET_LAST_WORDS = new Set(['FILE', 'PATH', 'DIR', 'FILENAME', 'LOCATION', 'VERSION', 'URL', 'URI', 'ENDPOINT', 'HOST', 'PORT', 'SERVER', 'SERVERS', 'NAME', 'USER', 'USERNAME', 'LOG', 'ENABLED', 'DISABLED', 'TYPE', 'MODE', 'ALGORITHM', 'LENGTH', 'TTL', 'TIMEOUT', 'EXPIRY', 'HEADER', 'REF', 'FINGERPRINT']);
const ACCEPTED_KEYS = new Set(['GPG_KEY', 'GPG_KEYS']);
/** Values that are credentials whatever the variable is called. */
const TOKEN_FORMATS: readonly [string, RegExp][] = [
  ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['a GitHub token', /\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/],
  ['a GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['a Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['a Stripe secret key', /\b[sr]k_live_[0-9A-Za-z]{24,}\b/],
  ['a Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['an npm token', /\bnpm_[A-Za-z0-9]{36}\b/],
  ['a Hugging Face token', /\bhf_[A-Za-z]{34}\b/],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
];

/** The words of a variable name: split on `_`, `-`, `.` and camelCase humps, upper-cased. */
function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .split(/[_\-.]+/)
    .filter(Boolean)
    .map((w) => w.toUpperCase());
}

/** Whether a variable name says it holds a secret (see SECRET_WORDS). */
export function isSecretName(name: string): boolean {
  if (ACCEPTED_KEYS.has(name.toUpperCase())) return false;
  const words = nameWords(name);
  if (words.length === 0 || words.includes('PUBLIC')) return false;
  if (NOT_SECRET_LAST_WORDS.has(words[words.length - 1] ?? '')) return false;
  return words.some((w) => SECRET_WORDS.has(w));
}

/** The kind of credential a value looks like (`a GitHub token`), or undefined. */
export function tokenFormatOf(value: string): string | undefined {
  return TOKEN_FORMATS.find(([, re]) => re.test(value))?.[0];
}
const ARCHIVE = /\.(tar|tar\.gz|tgz|tar\.bz2|tbz2?|tar\.xz|txz|tar\.zst|gz|bz2|xz)$/i;

interface Stage {
  from: Instruction;
  alias?: string;
  instructions: Instruction[];
}

/** Checks a Dockerfile's text. `file` names it in results. */
export function checkDockerfile(content: string, file: string): BenchmarkReport {
  const problems = lintDockerfile(content);
  const results: BenchmarkCheckResult[] = problems.map((p) => toResult(p, file));
  const found = new Set(problems.map((p) => p.id));
  for (const id of [...(Object.keys(DOCKERFILE_RULES) as DockerfileRuleId[]), ...CIS_CODES, ...(Object.keys(TRIVY_DS_RULES) as TrivyDsRuleId[])]) {
    if (!found.has(id)) results.push({ checkId: id, title: titleOf(id), status: 'PASS', severity: 'INFO', target: file, message: 'no problem found', file, benchmark: benchmarkOf(id) });
  }
  return benchmarkReport(`Dockerfile checks of ${file}`, results);
}

/** The problems of a Dockerfile, in line order. */
export function lintDockerfile(content: string): DockerfileProblem[] {
  const dockerfile = DockerfileParser.parse(content);
  const problems: DockerfileProblem[] = [];
  const add = (id: DockerfileProblem['id'], instruction: Instruction, message: string): void => {
    problems.push({ id, line: instruction.getRange().start.line + 1, message });
  };
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword().toUpperCase();
    if (keyword === 'FROM') {
      const args = instruction.getArguments().map((a) => a.getValue());
      const asIndex = args.findIndex((a) => a.toUpperCase() === 'AS');
      const alias = asIndex >= 0 ? args[asIndex + 1] : undefined;
      stages.push({ from: instruction, ...(alias ? { alias } : {}), instructions: [] });
      continue;
    }
    stages[stages.length - 1]?.instructions.push(instruction);
  }
  const aliases = new Set(stages.map((s) => s.alias?.toLowerCase()).filter((a): a is string => a !== undefined));
  const seenAliases = new Set<string>();
  for (const stage of stages) {
    const alias = stage.alias?.toLowerCase();
    if (alias === undefined) continue;
    if (seenAliases.has(alias)) add('DS012', stage.from, `stage alias ${stage.alias} is already defined by an earlier FROM`);
    seenAliases.add(alias);
  }

  for (const stage of stages) {
    checkFrom(stage.from, aliases, add);
    checkRepeated(stage, add);
    let pipefail = false;
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword().toUpperCase();
      const argsText = instruction.getArgumentsContent() ?? '';
      switch (keyword) {
        case 'EXPOSE':
          checkExpose(instruction, add);
          break;
        case 'COPY': {
          const source = instruction instanceof Copy ? instruction.getFromFlag()?.getValue() : undefined;
          if (source && stage.alias && source.toLowerCase() === stage.alias.toLowerCase()) add('DS006', instruction, `COPY --from=${source} refers to the stage it is in`);
          break;
        }
        case 'MAINTAINER':
          add('DL4000', instruction, 'MAINTAINER is deprecated; use LABEL org.opencontainers.image.authors');
          break;
        case 'WORKDIR': {
          const dir = argsText.trim().replace(/^["']|["']$/g, '');
          if (!dir.startsWith('/') && !dir.startsWith('$') && !/^[A-Za-z]:[\\/]/.test(dir)) add('DL3000', instruction, `WORKDIR ${dir} is not absolute`);
          break;
        }
        case 'SHELL':
          pipefail = /pipefail/.test(argsText);
          break;
        case 'ADD':
          checkAdd(instruction, add);
          break;
        case 'CMD':
        case 'ENTRYPOINT':
          if (!argsText.trim().startsWith('[')) add('DL3025', instruction, `${keyword} uses shell form; use the JSON form ["executable", "arg"] so signals reach the process`);
          break;
        case 'ENV':
        case 'ARG':
          checkSecretVariable(instruction, keyword, add);
          break;
        case 'RUN':
          checkRun(instruction, argsText, pipefail, add);
          break;
      }
    }
  }

  const final = stages[stages.length - 1];
  if (final) {
    const users = final.instructions.filter((i) => i.getKeyword().toUpperCase() === 'USER');
    const lastUser = users[users.length - 1];
    const userName = lastUser ? (lastUser.getArgumentsContent() ?? '').trim().split(':')[0] : undefined;
    if (lastUser && (userName === 'root' || userName === '0')) add('DL3002', lastUser, `last USER is ${userName}`);
    if (!lastUser || userName === 'root' || userName === '0') {
      add('CIS-DI-0001', lastUser ?? final.from, lastUser ? 'Last user should not be root' : 'no USER instruction: the container runs as root');
    }
    if (!final.instructions.some((i) => i.getKeyword().toUpperCase() === 'HEALTHCHECK')) add('CIS-DI-0006', final.from, 'not found HEALTHCHECK statement');
  }
  return problems.sort((a, b) => a.line - b.line || a.id.localeCompare(b.id));
}

type Add = (id: DockerfileProblem['id'], instruction: Instruction, message: string) => void;

/** Only the last ENTRYPOINT, CMD and HEALTHCHECK of a stage take effect; the earlier ones are dead code or a mistake. */
function checkRepeated(stage: Stage, add: Add): void {
  const rules = { ENTRYPOINT: 'DS007', CMD: 'DS016', HEALTHCHECK: 'DS023' } as const;
  for (const [keyword, id] of Object.entries(rules) as [keyof typeof rules, TrivyDsRuleId][]) {
    const [first, ...repeats] = stage.instructions.filter((i) => i.getKeyword().toUpperCase() === keyword);
    for (const repeated of first ? repeats : []) {
      add(id, repeated, `${keyword} repeated in this stage (first on line ${first.getRange().start.line + 1}); only the last one takes effect`);
    }
  }
}

/** EXPOSE takes `port`, `port/proto` and `from-to` ranges; variables are left alone. */
function checkExpose(instruction: Instruction, add: Add): void {
  for (const arg of instruction.getArguments().map((a) => a.getValue())) {
    if (arg.includes('$')) continue;
    const spec = arg.split('/')[0] ?? '';
    const ports = spec.split('-');
    if (ports.some((p) => !/^\d+$/.test(p) || Number(p) > 65535)) {
      add('DS008', instruction, `EXPOSE ${arg}: ports range from 0 to 65535`);
      continue;
    }
    const [low, high] = [Number(ports[0]), Number(ports[ports.length - 1])];
    if (low <= 22 && 22 <= high) add('DS004', instruction, `EXPOSE ${arg} exposes SSH (port 22); use kubectl exec / docker exec instead of an SSH server`);
  }
}

function checkFrom(from: Instruction, aliases: Set<string>, add: Add): void {
  const args = from.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith('--'));
  const image = args[0];
  if (!image || image === 'scratch' || image.includes('$') || aliases.has(image.toLowerCase())) return;
  if (image.includes('@')) return;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const tag = lastSegment.includes(':') ? lastSegment.slice(lastSegment.indexOf(':') + 1) : undefined;
  if (tag === undefined) add('DL3006', from, `FROM ${image} has no tag`);
  else if (tag === 'latest') add('DL3007', from, `FROM ${image} uses the latest tag`);
}

function checkAdd(instruction: Instruction, add: Add): void {
  add('CIS-DI-0009', instruction, `Use COPY : ADD ${instruction.getArgumentsContent() ?? ''}`);
  const args = instruction
    .getArguments()
    .map((a) => a.getValue())
    .filter((a) => !a.startsWith('--'));
  const sources = args.slice(0, -1);
  // ADD is right for URLs and local archives it unpacks; anything else should be COPY.
  if (sources.some((s) => !/^[a-z]+:\/\//i.test(s) && !ARCHIVE.test(s) && !s.startsWith('git@'))) {
    add('DL3020', instruction, `ADD ${sources.join(' ')}: use COPY for files and folders`);
  }
}

function checkSecretVariable(instruction: Instruction, keyword: string, add: Add): void {
  const text = (instruction.getArgumentsContent() ?? '').trim();
  const pairs: [string, string][] = [];
  if (text.includes('=')) {
    for (const word of shellWords(text)) {
      const eq = word.indexOf('=');
      if (eq > 0) pairs.push([word.slice(0, eq), word.slice(eq + 1)]);
    }
  } else if (keyword === 'ENV') {
    const space = text.search(/\s/);
    if (space > 0) pairs.push([text.slice(0, space), text.slice(space).trim()]);
  }
  if (keyword === 'ARG') {
    // `ARG NAME` without a default: a build argument, whose value is kept in the image history.
    for (const word of shellWords(text)) if (!word.includes('=')) pairs.push([word, '']);
  }
  for (const [name, quoted] of pairs) {
    const value = quoted.replace(/^(["'])(.*)\1$/s, '$2');
    const format = tokenFormatOf(value);
    if (format) {
      add('CIS-DI-0010', instruction, `${keyword} ${name} holds what looks like ${format} (its value is stored in the image)`);
    } else if (isSecretName(name) && (value !== '' || keyword === 'ARG')) {
      const where = keyword === 'ARG' && value === '' ? 'a build argument is kept in the image history; use RUN --mount=type=secret' : 'its value is stored in the image';
      add('CIS-DI-0010', instruction, `Suspicious ${keyword} key found : ${name} (${where})`);
    }
  }
}

function checkRun(instruction: Instruction, script: string, pipefail: boolean, add: Add): void {
  const commands = script
    .split(/&&|\|\||;|\n/)
    .map((c) => shellWords(c))
    .filter((w) => w.length > 0);
  const hasApt = (words: string[], sub: string): boolean => words[0] === 'apt-get' && words.includes(sub);
  if (commands.some((w) => w[0] === 'sudo')) add('DL3004', instruction, 'RUN uses sudo');
  if (commands.some((w) => w[0] === 'cd')) add('DL3003', instruction, 'RUN uses cd; use WORKDIR');
  if (commands.some((w) => w[0] === 'apt')) add('DL3027', instruction, 'RUN uses apt; use apt-get');
  const installs = commands.filter((w) => hasApt(w, 'install'));
  for (const words of installs) {
    const packages = packagesOf(words, 'install');
    const unpinned = packages.filter((p) => !p.includes('=') && !p.endsWith('.deb'));
    if (unpinned.length > 0) add('DL3008', instruction, `apt-get install without pinned versions: ${unpinned.join(', ')}`);
    if (!words.includes('--no-install-recommends') && !words.some((w) => /APT::Install-Recommends=false/i.test(w))) {
      add('DL3015', instruction, 'apt-get install without --no-install-recommends');
    }
  }
  if (installs.length > 0 && !/rm\s+(-[a-zA-Z]+\s+)*\/var\/lib\/apt\/lists/.test(script)) add('DL3009', instruction, 'apt-get lists are not deleted after installing');
  const updates = commands.filter((w) => hasApt(w, 'update'));
  if (updates.length > 0 && installs.length === 0 && !commands.some((w) => hasApt(w, 'upgrade') || hasApt(w, 'dist-upgrade'))) {
    add('CIS-DI-0007', instruction, "apt-get update alone: combine it with 'apt-get install' in the same RUN");
  }
  const distUpgrade = commands.find((w) => (w[0] === 'apt-get' || w[0] === 'apt') && w.includes('dist-upgrade'));
  if (distUpgrade) add('DS024', instruction, `${distUpgrade[0]} dist-upgrade: it can upgrade to a new major release; use a newer base image`);
  for (const [manager, update, install] of PACKAGE_MANAGERS) {
    const updateCommand = commands.find((w) => w[0] === manager && w.some((x) => update.includes(x)));
    if (updateCommand && !commands.some((w) => w[0] === manager && w.some((x) => install.includes(x)))) {
      add('DS017', instruction, `${updateCommand.join(' ')} alone: install in the same RUN, or the cached layer serves stale package lists`);
    }
  }
  for (const words of commands.filter((w) => w[0] === 'apk' && w.includes('add'))) {
    const packages = packagesOf(words, 'add');
    const unpinned = packages.filter((p) => !p.includes('='));
    if (unpinned.length > 0) add('DL3018', instruction, `apk add without pinned versions: ${unpinned.join(', ')}`);
    if (!words.includes('--no-cache')) add('DL3019', instruction, 'apk add without --no-cache');
  }
  // A pipe hides the failure of all but the last command unless the shell has pipefail.
  if (!pipefail && /(^|[^|])\|(?!\|)/.test(script) && !/set\s+-[a-z]*o\s+pipefail|set\s+-o\s+pipefail/.test(script)) {
    add('DL4006', instruction, 'RUN with a pipe but no SHELL ["/bin/bash", "-o", "pipefail", "-c"]');
  }
}

/**
 * Package managers besides apt-get (CIS-DI-0007 covers it): the sub-commands that refresh or
 * update, and those that install. Updating without installing in the same RUN leaves a layer
 * the build cache reuses with stale package lists.
 */
const PACKAGE_MANAGERS: readonly [string, readonly string[], readonly string[]][] = [
  ['apk', ['update'], ['add']],
  ['yum', ['update', 'makecache'], ['install', 'groupinstall', 'localinstall', 'reinstall']],
  ['dnf', ['update', 'upgrade', 'makecache'], ['install', 'reinstall']],
  ['microdnf', ['update', 'upgrade', 'makecache'], ['install', 'reinstall']],
  ['zypper', ['refresh', 'ref', 'update', 'up'], ['install', 'in']],
];

/** Package arguments after the sub-command, skipping options and their values. */
function packagesOf(words: string[], sub: string): string[] {
  const start = words.indexOf(sub);
  return words.slice(start + 1).filter((w) => !w.startsWith('-') && !w.includes('$'));
}

function isTrivyDs(id: DockerfileProblem['id']): id is TrivyDsRuleId {
  return id.startsWith('DS');
}

function titleOf(id: DockerfileProblem['id']): string {
  if (isTrivyDs(id)) return TRIVY_DS_RULES[id].title;
  return id.startsWith('DL') ? DOCKERFILE_RULES[id as DockerfileRuleId].title : DOCKLE_CHECKPOINTS[id as CisCode].title;
}

function benchmarkOf(id: DockerfileProblem['id']): string {
  if (isTrivyDs(id)) return 'dockerfile';
  return id.startsWith('DL') ? 'hadolint' : 'cis-docker-image';
}

const HADOLINT_STATUS: Record<Level, [BenchmarkStatus, Severity]> = { error: ['FAIL', 'HIGH'], warning: ['WARN', 'MEDIUM'], info: ['INFO', 'LOW'] };
const DOCKLE_STATUS = { FATAL: ['FAIL', 'HIGH'], WARN: ['WARN', 'MEDIUM'], INFO: ['INFO', 'LOW'] } as const;

function toResult(p: DockerfileProblem, file: string): BenchmarkCheckResult {
  if (isTrivyDs(p.id)) return { checkId: p.id, title: titleOf(p.id), status: 'FAIL', severity: TRIVY_DS_RULES[p.id].severity, target: file, message: p.message, file, line: p.line, benchmark: benchmarkOf(p.id) };
  const [status, severity] = p.id.startsWith('DL') ? HADOLINT_STATUS[DOCKERFILE_RULES[p.id as DockerfileRuleId].level] : DOCKLE_STATUS[DOCKLE_CHECKPOINTS[p.id as CisCode].level];
  return { checkId: p.id, title: titleOf(p.id), status, severity, target: file, message: p.message, file, line: p.line, benchmark: benchmarkOf(p.id) };
}

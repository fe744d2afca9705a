import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import type { Severity } from '@bulkhead/plugin-sdk';
import { benchmarkReport, type BenchmarkCheckResult, type BenchmarkReport, type BenchmarkStatus } from '../report';
import { DOCKLE_CHECKPOINTS, type DockleCode } from './checkpoints';
import { HADOLINT_RULE_META, HADOLINT_RULES, lintWithHadolintRules, type HadolintLevel, type HadolintOptions } from './hadolint';
import { shellWords } from './shell-words';

/**
 * Trivy's DS checks that no hadolint rule covers, under Trivy's own ids (aquasecurity/
 * trivy-checks `checks/docker`). Where hadolint has the same check (DS006 = DL3023, DS007 =
 * DL4004, DS008 = DL3011, DS012 = DL3024, DS016 = DL4003, DS023 = DL3012) the hadolint rule
 * reports it, once, and names the Trivy id in its references.
 */
export const TRIVY_DS_RULES = {
  DS004: { severity: 'MEDIUM', title: 'Port 22 exposed' },
  DS017: { severity: 'MEDIUM', title: "'RUN <package-manager> update' instruction alone" },
  DS024: { severity: 'MEDIUM', title: "'apt-get dist-upgrade' used" },
} as const satisfies Record<string, { severity: Severity; title: string }>;
export type TrivyDsRuleId = keyof typeof TRIVY_DS_RULES;

const CIS_CODES = ['CIS-DI-0001', 'CIS-DI-0006', 'CIS-DI-0007', 'CIS-DI-0009', 'CIS-DI-0010'] as const satisfies readonly DockleCode[];
type CisCode = (typeof CIS_CODES)[number];

/** A hadolint rule id (`DL3020`), a Dockle CIS-DI code or one of Trivy's DS ids. */
export type DockerfileCheckId = string;

export interface DockerfileProblem {
  id: DockerfileCheckId;
  /** 1-based line: the instruction's first line. */
  line: number;
  message: string;
  /** hadolint's level, for DL rules. */
  level?: HadolintLevel;
}

/**
 * Problems that two rule sets see the same way: when both report at one line, only the first
 * (hadolint's) is kept, and its references name the other (references.ts). `ADD` of an archive
 * or URL is CIS-DI-0009 alone; `USER root` last is DL3002 (CIS-DI-0001 stays for "no USER").
 */
const SAME_PROBLEM: readonly (readonly [string, string])[] = [
  ['DL3020', 'CIS-DI-0009'],
  ['DL3002', 'CIS-DI-0001'],
];

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

interface Stage {
  from: Instruction;
  instructions: Instruction[];
}

/** Checks a Dockerfile's text. `file` names it in results. */
export function checkDockerfile(content: string, file: string, options: HadolintOptions = {}): BenchmarkReport {
  const problems = lintDockerfile(content, options);
  const results: BenchmarkCheckResult[] = problems.map((p) => toResult(p, file));
  // A problem folded into another's finding (SAME_PROBLEM) has not passed either.
  const found = new Set(problems.flatMap((p) => [p.id, ...SAME_PROBLEM.filter(([kept]) => kept === p.id).map(([, folded]) => folded)]));
  const ignored = new Set(options.ignore ?? []);
  const checked = [...HADOLINT_RULES.map((r) => r.id), ...CIS_CODES, ...(Object.keys(TRIVY_DS_RULES) as TrivyDsRuleId[])];
  for (const id of checked) {
    if (!found.has(id) && !ignored.has(id)) results.push({ checkId: id, title: titleOf(id), status: 'PASS', severity: 'INFO', target: file, message: 'no problem found', file, benchmark: benchmarkOf(id) });
  }
  return benchmarkReport(`Dockerfile checks of ${file}`, results);
}

/**
 * The problems of a Dockerfile, in line order: hadolint's DL rules (its engine in ./hadolint,
 * with `# hadolint ignore=` pragmas and the options), then the CIS Docker Benchmark items and
 * Trivy DS checks hadolint has no rule for; one problem per finding (SAME_PROBLEM).
 */
export function lintDockerfile(content: string, options: HadolintOptions = {}): DockerfileProblem[] {
  const problems: DockerfileProblem[] = lintWithHadolintRules(content, options).map((p) => ({ id: p.id, line: p.line, message: p.message, level: p.level }));
  const dockerfile = DockerfileParser.parse(content);
  const add = (id: DockerfileProblem['id'], instruction: Instruction, message: string): void => {
    problems.push({ id, line: instruction.getRange().start.line + 1, message });
  };
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword().toUpperCase() === 'FROM') {
      stages.push({ from: instruction, instructions: [] });
      continue;
    }
    stages[stages.length - 1]?.instructions.push(instruction);
  }

  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword().toUpperCase();
      switch (keyword) {
        case 'EXPOSE':
          checkExpose(instruction, add);
          break;
        case 'ADD':
          add('CIS-DI-0009', instruction, `Use COPY : ADD ${instruction.getArgumentsContent() ?? ''}`);
          break;
        case 'ENV':
        case 'ARG':
          checkSecretVariable(instruction, keyword, add);
          break;
        case 'RUN':
          checkRun(instruction, instruction.getArgumentsContent() ?? '', add);
          break;
      }
    }
  }

  const final = stages[stages.length - 1];
  if (final) {
    const users = final.instructions.filter((i) => i.getKeyword().toUpperCase() === 'USER');
    const lastUser = users[users.length - 1];
    const userName = lastUser ? (lastUser.getArgumentsContent() ?? '').trim().split(':')[0] : undefined;
    if (!lastUser || userName === 'root' || userName === '0') {
      add('CIS-DI-0001', lastUser ?? final.from, lastUser ? 'Last user should not be root' : 'no USER instruction: the container runs as root');
    }
    if (!final.instructions.some((i) => i.getKeyword().toUpperCase() === 'HEALTHCHECK')) add('CIS-DI-0006', final.from, 'not found HEALTHCHECK statement');
  }
  const ignored = new Set(options.ignore ?? []);
  return withoutDuplicates(problems.filter((p) => !ignored.has(p.id))).sort((a, b) => a.line - b.line || a.id.localeCompare(b.id));
}

function withoutDuplicates(problems: DockerfileProblem[]): DockerfileProblem[] {
  const at = new Set(problems.map((p) => `${p.line}\u0000${p.id}`));
  return problems.filter((p) => !SAME_PROBLEM.some(([kept, dropped]) => p.id === dropped && at.has(`${p.line}\u0000${kept}`)));
}

type Add = (id: DockerfileProblem['id'], instruction: Instruction, message: string) => void;

/** EXPOSE takes `port`, `port/proto` and `from-to` ranges; variables are left alone. */
function checkExpose(instruction: Instruction, add: Add): void {
  for (const arg of instruction.getArguments().map((a) => a.getValue())) {
    if (arg.includes('$')) continue;
    const spec = arg.split('/')[0] ?? '';
    const ports = spec.split('-');
    // Ports out of range are DL3011's.
    if (ports.some((p) => !/^\d+$/.test(p) || Number(p) > 65535)) continue;
    const [low, high] = [Number(ports[0]), Number(ports[ports.length - 1])];
    if (low <= 22 && 22 <= high) add('DS004', instruction, `EXPOSE ${arg} exposes SSH (port 22); use kubectl exec / docker exec instead of an SSH server`);
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

/** The RUN checks hadolint has no rule for: package lists refreshed alone, dist-upgrade. */
function checkRun(instruction: Instruction, script: string, add: Add): void {
  const commands = script
    .split(/&&|\|\||;|\n/)
    .map((c) => shellWords(c))
    .filter((w) => w.length > 0);
  const hasApt = (words: string[], sub: string): boolean => words[0] === 'apt-get' && words.includes(sub);
  const installs = commands.filter((w) => hasApt(w, 'install'));
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

function isTrivyDs(id: DockerfileProblem['id']): id is TrivyDsRuleId {
  return id in TRIVY_DS_RULES;
}

function isHadolint(id: DockerfileProblem['id']): boolean {
  return /^DL\d{4}$/.test(id);
}

function titleOf(id: DockerfileProblem['id']): string {
  if (isTrivyDs(id)) return TRIVY_DS_RULES[id].title;
  if (isHadolint(id)) return HADOLINT_RULE_META[id]?.message ?? id;
  return DOCKLE_CHECKPOINTS[id as CisCode].title;
}

function benchmarkOf(id: DockerfileProblem['id']): string {
  if (isTrivyDs(id)) return 'dockerfile';
  return isHadolint(id) ? 'hadolint' : 'cis-docker-image';
}

/** hadolint's levels as result status and severity (hadolint fails a build on `error` by default). */
const HADOLINT_STATUS: Record<HadolintLevel, [BenchmarkStatus, Severity]> = { error: ['FAIL', 'HIGH'], warning: ['WARN', 'MEDIUM'], info: ['INFO', 'LOW'], style: ['INFO', 'LOW'] };
const DOCKLE_STATUS = { FATAL: ['FAIL', 'HIGH'], WARN: ['WARN', 'MEDIUM'], INFO: ['INFO', 'LOW'] } as const;

function toResult(p: DockerfileProblem, file: string): BenchmarkCheckResult {
  const where = { target: file, message: p.message, file, line: p.line, benchmark: benchmarkOf(p.id) };
  if (isTrivyDs(p.id)) return { checkId: p.id, title: titleOf(p.id), status: 'FAIL', severity: TRIVY_DS_RULES[p.id].severity, ...where };
  const [status, severity] = isHadolint(p.id) ? HADOLINT_STATUS[p.level ?? 'warning'] : DOCKLE_STATUS[DOCKLE_CHECKPOINTS[p.id as CisCode].level];
  return { checkId: p.id, title: titleOf(p.id), status, severity, ...where };
}

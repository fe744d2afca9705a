import { DockerfileParser, type Instruction } from 'dockerfile-ast';
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

const CIS_CODES = ['CIS-DI-0001', 'CIS-DI-0006', 'CIS-DI-0007', 'CIS-DI-0009', 'CIS-DI-0010'] as const satisfies readonly DockleCode[];
type CisCode = (typeof CIS_CODES)[number];

export interface DockerfileProblem {
  id: DockerfileRuleId | CisCode;
  /** 1-based line. */
  line: number;
  message: string;
}

const SECRET_NAME = /PASS|PASSWD|PASSWORD|SECRET|KEY|ACCESS|TOKEN/i;
const ACCEPTED_KEYS = new Set(['GPG_KEY', 'GPG_KEYS']);
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
  for (const id of [...(Object.keys(DOCKERFILE_RULES) as DockerfileRuleId[]), ...CIS_CODES]) {
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

  for (const stage of stages) {
    checkFrom(stage.from, aliases, add);
    let pipefail = false;
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword().toUpperCase();
      const argsText = instruction.getArgumentsContent() ?? '';
      switch (keyword) {
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
  for (const [name, value] of pairs) {
    if (value === '' || ACCEPTED_KEYS.has(name) || !SECRET_NAME.test(name)) continue;
    add('CIS-DI-0010', instruction, `Suspicious ${keyword} key found : ${name} (its value is stored in the image)`);
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

/** Package arguments after the sub-command, skipping options and their values. */
function packagesOf(words: string[], sub: string): string[] {
  const start = words.indexOf(sub);
  return words.slice(start + 1).filter((w) => !w.startsWith('-') && !w.includes('$'));
}

function titleOf(id: DockerfileProblem['id']): string {
  return id.startsWith('DL') ? DOCKERFILE_RULES[id as DockerfileRuleId].title : DOCKLE_CHECKPOINTS[id as CisCode].title;
}

function benchmarkOf(id: DockerfileProblem['id']): string {
  return id.startsWith('DL') ? 'hadolint' : 'cis-docker-image';
}

const HADOLINT_STATUS: Record<Level, [BenchmarkStatus, Severity]> = { error: ['FAIL', 'HIGH'], warning: ['WARN', 'MEDIUM'], info: ['INFO', 'LOW'] };
const DOCKLE_STATUS = { FATAL: ['FAIL', 'HIGH'], WARN: ['WARN', 'MEDIUM'], INFO: ['INFO', 'LOW'] } as const;

function toResult(p: DockerfileProblem, file: string): BenchmarkCheckResult {
  const [status, severity] = p.id.startsWith('DL') ? HADOLINT_STATUS[DOCKERFILE_RULES[p.id as DockerfileRuleId].level] : DOCKLE_STATUS[DOCKLE_CHECKPOINTS[p.id as CisCode].level];
  return { checkId: p.id, title: titleOf(p.id), status, severity, target: file, message: p.message, file, line: p.line, benchmark: benchmarkOf(p.id) };
}

import { anyCommand, argsContain, argsNoFlags, cmdHasArgs, hasFlag, isPipInstall } from './command-queries';
import { baseImageOf, dropQuotes, type DockerInstruction } from './dockerfile-model';
import { hasCacheMount, onbuildStream, plainStream, type HadolintRule, type Report } from './rule';
import { copyArgs, isArchive } from './rules-instructions';
import { parseShell, type ParsedShell } from './shell';

/**
 * hadolint rules that remember earlier instructions: per build stage, across stages that
 * inherit from each other (`FROM base`), or across consecutive instructions.
 */

const imageOf = (from: DockerInstruction): string => baseImageOf(from).image;
/** A stage's name for inheritance: its alias, else its image (hadolint keys stages this way). */
const stageName = (from: DockerInstruction): string => baseImageOf(from).alias ?? imageOf(from);
const isRoot = (user: string): boolean => user === 'root' || user === '0' || user.startsWith('root:') || user.startsWith('0:');

const DL3002: HadolintRule = {
  id: 'DL3002',
  level: 'warning',
  message: 'Last USER should not be root.',
  check(instructions, report) {
    // Per stage (its FROM line): the USER root that is still in force at the stage's end.
    const rootUser = new Map<number, DockerInstruction>();
    let stage: number | undefined;
    for (const inst of plainStream(instructions)) {
      if (inst.keyword === 'FROM') stage = inst.line;
      else if (inst.keyword === 'USER' && stage !== undefined) {
        if (isRoot(inst.text)) rootUser.set(stage, inst);
        else rootUser.delete(stage);
      }
    }
    for (const user of rootUser.values()) report(user);
  },
};

const DL3006: HadolintRule = {
  id: 'DL3006',
  level: 'warning',
  message: 'Always tag the version of an image explicitly',
  check(instructions, report) {
    const aliases = new Set<string>();
    for (const inst of instructions) {
      if (inst.keyword !== 'FROM') continue;
      const base = baseImageOf(inst);
      const known = aliases.has(base.image);
      if (base.alias) aliases.add(base.alias);
      if (base.image === 'scratch' || base.digest !== undefined || base.tag !== undefined || base.image.startsWith('$') || known) continue;
      report(inst);
    }
  },
};

/**
 * A problem left in a stage counts when the stage is the last one or a later FROM builds on it
 * (DL3009, DL3060). Without any FROM (the ONBUILD stream) every problem counts.
 */
function stageRule(meta: Omit<HadolintRule, 'check'>, fails: (run: DockerInstruction, shell: ParsedShell) => boolean): HadolintRule {
  const walk = (stream: DockerInstruction[], report: Report): void => {
    let current: DockerInstruction | undefined;
    const usedImages = new Set<string>();
    const failures: { run: DockerInstruction; stage: DockerInstruction | undefined }[] = [];
    for (const inst of stream) {
      if (inst.keyword === 'FROM') {
        current = inst;
        usedImages.add(imageOf(inst));
      } else if (inst.keyword === 'RUN' && inst.shell && fails(inst, inst.shell)) failures.push({ run: inst, stage: current });
    }
    for (const { run, stage } of failures) {
      const alias = stage && baseImageOf(stage).alias;
      if (stage === current || (alias !== undefined && usedImages.has(alias))) report(run);
    }
  };
  return {
    ...meta,
    check(instructions, report) {
      walk(plainStream(instructions), report);
      walk(onbuildStream(instructions), report);
    },
  };
}

const DL3009 = stageRule({ id: 'DL3009', level: 'info', message: 'Delete the apt-get lists after installing something.' }, (run, shell) => {
  const update = anyCommand(shell, (c) => cmdHasArgs(c, 'apt-get', ['update']));
  const cleanup = anyCommand(shell, (c) => cmdHasArgs(c, 'rm', ['-rf', '/var/lib/apt/lists/*']));
  if (!update || cleanup) return false;
  if (hasCacheMount(run, '/var/lib/apt/lists')) return false;
  return !(hasCacheMount(run, '/var/lib/apt') && hasCacheMount(run, '/var/cache/apt'));
});

const DL3060 = stageRule(
  { id: 'DL3060', level: 'info', message: '`yarn cache clean` missing after `yarn install` was run.' },
  (_run, shell) => anyCommand(shell, (c) => cmdHasArgs(c, 'yarn', ['install'])) && !anyCommand(shell, (c) => cmdHasArgs(c, 'yarn', ['cache', 'clean'])),
);

const EXTRACTORS = ['unzip', 'gunzip', 'bunzip2', 'unlzma', 'unxz', 'zgz', 'uncompress', 'zcat', 'gzcat'];
const basename = (path: string): string => {
  const p = dropQuotes(path);
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
};

const DL3010: HadolintRule = {
  id: 'DL3010',
  level: 'info',
  message: 'Use `ADD` for extracting archives into an image.',
  check(instructions, report) {
    // Archives COPY'd in this stage: base name → the COPY instructions that brought it.
    let archives = new Map<string, DockerInstruction[]>();
    const extracted = new Set<DockerInstruction>();
    for (const inst of plainStream(instructions)) {
      if (inst.keyword === 'FROM') archives = new Map();
      else if (inst.keyword === 'COPY' && !inst.flags.some((f) => f.name === 'from')) {
        const { sources, target } = copyArgs(inst);
        const names = isArchive(target) ? [basename(target)] : sources.map(basename).filter(isArchive);
        for (const name of names) archives.set(name, [...(archives.get(name) ?? []), inst]);
      } else if (inst.keyword === 'RUN' && inst.shell) {
        for (const cmd of inst.shell.commands) {
          const isTarExtract = cmd.name === 'tar' && cmd.args.some((a) => a === '--extract' || a === '--get' || (a.startsWith('-') && !a.startsWith('--') && a.includes('x')));
          if (!isTarExtract && !EXTRACTORS.includes(cmd.name)) continue;
          for (const file of argsNoFlags(cmd)) for (const copy of archives.get(basename(file)) ?? []) extracted.add(copy);
        }
      }
    }
    for (const copy of extracted) report(copy);
  },
};

/** Reports the second and later `keyword` of each stage (DL3012, DL4003, DL4004). */
function oncePerStage(meta: Omit<HadolintRule, 'check'>, keyword: string): HadolintRule {
  return {
    ...meta,
    check(instructions, report) {
      let seen = false;
      for (const inst of plainStream(instructions)) {
        if (inst.keyword === 'FROM') seen = false;
        else if (inst.keyword === keyword) {
          if (seen) report(inst);
          seen = true;
        }
      }
    },
  };
}

const DL3022: HadolintRule = {
  id: 'DL3022',
  level: 'warning',
  message: 'COPY --from should reference a previously defined FROM alias',
  // Compared without case, unlike hadolint: Docker lower-cases stage names, so `AS build` and
  // `AS Build` clash when the image is built (a deliberate difference, tested).
  check(instructions, report) {
    const aliases = new Set<string>();
    for (const inst of plainStream(instructions)) {
      const alias = inst.keyword === 'FROM' ? baseImageOf(inst).alias?.toLowerCase() : undefined;
      if (alias) aliases.add(alias);
      const from = inst.keyword === 'COPY' ? inst.flags.find((f) => f.name === 'from')?.value : undefined;
      if (from !== undefined && from !== null && !aliases.has(from)) report(inst);
    }
  },
};

const DL3023: HadolintRule = {
  id: 'DL3023',
  level: 'error',
  message: '`COPY --from` cannot reference its own `FROM` alias',
  check(instructions, report) {
    let alias: string | undefined;
    for (const inst of plainStream(instructions)) {
      if (inst.keyword === 'FROM') alias = baseImageOf(inst).alias;
      const from = inst.keyword === 'COPY' ? inst.flags.find((f) => f.name === 'from')?.value : undefined;
      if (alias !== undefined && from === alias) report(inst);
    }
  },
};

const DL3024: HadolintRule = {
  id: 'DL3024',
  level: 'error',
  message: 'FROM aliases (stage names) must be unique.',
  // Compared without case, unlike hadolint: Docker lower-cases stage names, so `AS build` and
  // `AS Build` clash when the image is built (a deliberate difference, tested).
  check(instructions, report) {
    const aliases = new Set<string>();
    for (const inst of plainStream(instructions)) {
      const alias = inst.keyword === 'FROM' ? baseImageOf(inst).alias?.toLowerCase() : undefined;
      if (alias === undefined) continue;
      if (aliases.has(alias)) report(inst);
      aliases.add(alias);
    }
  },
};

/**
 * Tracks a yes/no fact per stage that a stage inherits from the stage (or image) it is built on,
 * as hadolint's DL3042 and DL3045 do. Before any FROM the stage is unnamed.
 */
class StageFacts {
  private readonly facts = new Map<string | null, boolean>();
  private current: string | null = null;
  enter(from: DockerInstruction): void {
    const name = stageName(from);
    this.facts.set(name, this.facts.get(imageOf(from)) ?? false);
    this.current = name;
  }
  set(): void {
    this.facts.set(this.current, true);
  }
  get(): boolean {
    return this.facts.get(this.current) ?? false;
  }
}

const TRUTHY = ['1', 'true', 'True', 'TRUE', 'on', 'On', 'ON', 'yes', 'Yes', 'YES'];

function pipNoCacheDirInScript(shell: ParsedShell): boolean {
  const at = shell.original.indexOf('PIP_NO_CACHE_DIR=');
  if (at < 0) return false;
  const value = shell.original.slice(at + 'PIP_NO_CACHE_DIR='.length);
  return TRUTHY.some((t) => value.startsWith(t));
}

const DL3042: HadolintRule = {
  id: 'DL3042',
  level: 'warning',
  message: 'Avoid use of cache directory with pip. Use `pip install --no-cache-dir <package>`.',
  check(instructions, report) {
    const walk = (stream: DockerInstruction[]): void => {
      const noCacheDir = new StageFacts();
      for (const inst of stream) {
        if (inst.keyword === 'FROM') noCacheDir.enter(inst);
        else if (inst.keyword === 'ENV' && inst.pairs.some((p) => p.name === 'PIP_NO_CACHE_DIR' && p.value !== null && TRUTHY.includes(p.value))) noCacheDir.set();
        else if (inst.keyword === 'RUN' && inst.shell && !noCacheDir.get() && !pipNoCacheDirInScript(inst.shell)) {
          const forgot = inst.shell.commands.some(
            (c) =>
              isPipInstall(c) &&
              !c.args.includes('--no-cache-dir') &&
              !['pipx', 'pipenv'].some((w) => c.name.includes(w) || (c.name.startsWith('python') && argsContain(c, ['-m', w]))),
          );
          if (forgot) report(inst);
        }
      }
    };
    walk(plainStream(instructions));
    walk(onbuildStream(instructions));
  },
};

/** `$NAME` occurs in `text` not followed by a name character (hadolint's bareVariableInText). */
function bareVariableIn(name: string, text: string): boolean {
  const marker = `$${name}`;
  // Each piece after an occurrence must not go on with a name character (the end of text ends it).
  return text.split(marker).slice(1).some((rest) => !/^[0-9A-Za-z_]/.test(rest));
}

const DL3044: HadolintRule = {
  id: 'DL3044',
  level: 'error',
  message: 'Do not refer to an environment variable within the same `ENV` statement where it is defined.',
  check(instructions, report) {
    const defined = new Set<string>();
    for (const inst of plainStream(instructions)) {
      if (inst.keyword === 'ARG') for (const p of inst.pairs) defined.add(p.name);
      if (inst.keyword !== 'ENV') continue;
      const selfReferencing = inst.pairs.some(
        (p, i) =>
          !defined.has(p.name) &&
          inst.pairs.some((other, j) => j !== i && other.value !== null && (other.value.includes(`\${${p.name}}`) || bareVariableIn(p.name, other.value))),
      );
      for (const p of inst.pairs) defined.add(p.name);
      if (selfReferencing) report(inst);
    }
  },
};

const DL3045: HadolintRule = {
  id: 'DL3045',
  level: 'warning',
  message: '`COPY` to a relative destination without `WORKDIR` set.',
  check(instructions, report) {
    const workdir = new StageFacts();
    for (const inst of plainStream(instructions)) {
      if (inst.keyword === 'FROM') workdir.enter(inst);
      else if (inst.keyword === 'WORKDIR') workdir.set();
      else if (inst.keyword === 'COPY' && !workdir.get()) {
        const dest = dropQuotes(copyArgs(inst).target);
        const absolute = dest.startsWith('/') || dest.startsWith('$') || /^.:[\\/]/.test(dest);
        if (!absolute) report(inst);
      }
    }
  },
};

const DL3059: HadolintRule = {
  id: 'DL3059',
  level: 'info',
  message: 'Multiple consecutive `RUN` instructions. Consider consolidation.',
  check(instructions, report) {
    // The previous instruction, when it was a RUN: its flags and how many commands it ran.
    let previous: { flags: string; count: number } | undefined;
    for (const inst of instructions) {
      if (inst.keyword !== 'RUN') {
        previous = undefined;
        continue;
      }
      const flags = JSON.stringify(inst.flags);
      const count = inst.shell?.commands.length ?? 0;
      if (previous && previous.flags === flags && count <= 1 && previous.count <= 1) report(inst);
      previous = { flags, count };
    }
  },
};

const DL4001: HadolintRule = {
  id: 'DL4001',
  level: 'warning',
  message: 'Either use Wget or Curl but not both.',
  check(instructions, report) {
    const walk = (stream: DockerInstruction[]): void => {
      let used = new Set<string>();
      for (const inst of stream) {
        if (inst.keyword === 'FROM') used = new Set();
        if (inst.keyword !== 'RUN' || !inst.shell) continue;
        const tools = inst.shell.commands.map((c) => c.name).filter((n) => n === 'curl' || n === 'wget');
        for (const t of tools) used.add(t);
        if (tools.length > 0 && used.size >= 2) report(inst);
      }
    };
    walk(plainStream(instructions));
    walk(onbuildStream(instructions));
  },
};

const NON_POSIX_SHELLS = ['pwsh', 'powershell', 'cmd'];

/** True when a SHELL instruction makes a RUN's pipe fail as a whole (or is not a POSIX shell). */
function shellHandlesPipes(shellInst: DockerInstruction): boolean {
  const words = shellInst.exec ?? [];
  const original = words.join(' ');
  if (NON_POSIX_SHELLS.some((s) => original.startsWith(s))) return true;
  const [cmd] = parseShell(words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ')).commands;
  if (!cmd) return false;
  const base = cmd.name.slice(cmd.name.lastIndexOf('/') + 1);
  return ['bash', 'zsh', 'ash'].includes(base) && hasFlag(cmd, 'o') && cmd.args.includes('pipefail');
}

const DL4006: HadolintRule = {
  id: 'DL4006',
  level: 'warning',
  message:
    'Set the SHELL option -o pipefail before RUN with a pipe in it. If you are using /bin/sh in an alpine image or if your shell is symlinked to busybox then consider explicitly setting your SHELL to /bin/ash, or disable this check',
  check(instructions, report) {
    let pipefail = false;
    for (const inst of plainStream(instructions)) {
      if (inst.keyword === 'FROM') pipefail = false;
      else if (inst.keyword === 'SHELL') pipefail = shellHandlesPipes(inst);
      else if (inst.keyword === 'RUN' && !pipefail && inst.shell?.hasPipes) report(inst);
    }
  },
};

export const STAGE_RULES: HadolintRule[] = [
  DL3002,
  DL3006,
  DL3009,
  DL3010,
  oncePerStage({ id: 'DL3012', level: 'error', message: 'Multiple `HEALTHCHECK` instructions.' }, 'HEALTHCHECK'),
  DL3022,
  DL3023,
  DL3024,
  DL3042,
  DL3044,
  DL3045,
  DL3059,
  DL3060,
  DL4001,
  oncePerStage(
    {
      id: 'DL4003',
      level: 'warning',
      message: 'Multiple `CMD` instructions found. If you list more than one `CMD` then only the last `CMD` will take effect',
    },
    'CMD',
  ),
  oncePerStage(
    {
      id: 'DL4004',
      level: 'error',
      message: 'Multiple `ENTRYPOINT` instructions found. If you list more than one `ENTRYPOINT` then only the last `ENTRYPOINT` will take effect',
    },
    'ENTRYPOINT',
  ),
  DL4006,
];

import {
  afterInstall,
  anyCommand,
  argsContain,
  argsNoFlags,
  cmdHasArgs,
  cmdHasPrefixArg,
  commandIndex,
  dropFlagArg,
  flagArgs,
  hasAnyFlag,
  hasArg,
  hasFlag,
  isPipInstall,
  usingProgram,
} from './command-queries';
import { hasCacheMount, runRule, type HadolintRule } from './rule';
import type { ParsedShell, ShellCommand } from './shell';

/**
 * hadolint rules that judge one RUN script by its commands (src/Hadolint/Rule/DL*.hs).
 * Each `passes` returns true when the script is fine.
 */

const none = (shell: ParsedShell, test: (cmd: ShellCommand) => boolean): boolean => !anyCommand(shell, test);
/** Every argument of matching commands, after `select`, passes `pinned`. */
const allPinned = (shell: ParsedShell, select: (cmd: ShellCommand) => string[], pinned: (pkg: string) => boolean): boolean =>
  shell.commands.flatMap(select).every(pinned);

const aptGetInstall = (cmd: ShellCommand): boolean => cmdHasArgs(cmd, 'apt-get', ['install']);

const DL3001 = runRule(
  {
    id: 'DL3001',
    level: 'info',
    message:
      'For some bash commands it makes no sense running them in a Docker container like `ssh`, `vim`, `shutdown`, `service`, `ps`, `free`, `top`, `kill`, `mount`, `ifconfig`',
  },
  (shell) => !shell.commands.some((c) => ['free', 'kill', 'mount', 'ps', 'service', 'shutdown', 'ssh', 'top', 'vim'].includes(c.name)),
);

const DL3003 = runRule({ id: 'DL3003', level: 'warning', message: 'Use WORKDIR to switch to a directory.' }, (shell) => !usingProgram(shell, 'cd'));

const DL3004 = runRule(
  { id: 'DL3004', level: 'error', message: 'Do not use sudo as it leads to unpredictable behavior. Use a tool like gosu to enforce root' },
  (shell) => !usingProgram(shell, 'sudo'),
);

const DL3008 = runRule(
  {
    id: 'DL3008',
    level: 'warning',
    message: 'Pin versions in apt get install. Instead of `apt-get install <package>` use `apt-get install <package>=<version>`',
  },
  (shell) =>
    allPinned(
      shell,
      (c) => (aptGetInstall(c) ? argsNoFlags(dropFlagArg(c, ['t', 'target-release'])).filter((a) => a !== 'install') : []),
      (p) => p.includes('=') || p.includes('/') || p.endsWith('.deb'),
    ),
);

const PIP_FLAGS_WITH_VALUE = [
  'abi', 'b', 'build', 'e', 'editable', 'extra-index-url', 'f', 'find-links', 'i', 'index-url', 'implementation', 'no-binary',
  'only-binary', 'platform', 'prefix', 'progress-bar', 'proxy', 'python-version', 'root', 'src', 't', 'target', 'trusted-host',
  'upgrade-strategy',
];
const PIP_VCS = ['git+file', 'git+https', 'git+ssh', 'git+http', 'git+git', 'git', 'hg+file', 'hg+http', 'hg+https', 'hg+ssh', 'hg+static-http', 'svn', 'svn+svn', 'svn+http', 'svn+https', 'svn+ssh', 'bzr+http', 'bzr+https', 'bzr+ssh', 'bzr+sftp', 'bzr+ftp', 'bzr+lp'];

function pipPinned(pkg: string): boolean {
  const isVcs = PIP_VCS.some((s) => pkg.startsWith(s));
  return (
    ['==', '>=', '<=', '>', '<', '!=', '~=', '==='].some((s) => pkg.includes(s)) ||
    (isVcs && pkg.includes('@')) ||
    pkg.endsWith('.whl') ||
    pkg.endsWith('.tar.gz') ||
    (!isVcs && pkg.includes('/'))
  );
}

const DL3013 = runRule(
  {
    id: 'DL3013',
    level: 'warning',
    message: 'Pin versions in pip. Instead of `pip install <package>` use `pip install <package>==<version>` or `pip install --requirement <requirements file>`.',
  },
  (shell) =>
    none(shell, (c) => {
      if (!isPipInstall(c) || hasFlag(c, 'constraint') || hasFlag(c, 'c')) return false;
      if (argsContain(c, ['--requirement']) || argsContain(c, ['-r']) || argsContain(c, ['.'])) return false;
      return !afterInstall(argsNoFlags(dropFlagArg(c, PIP_FLAGS_WITH_VALUE))).every(pipPinned);
    }),
);

const DL3014 = runRule({ id: 'DL3014', level: 'warning', message: 'Use the `-y` switch to avoid manual input `apt-get -y install <package>`' }, (shell) =>
  none(shell, (c) => aptGetInstall(c) && !hasAnyFlag(c, ['y', 'yes', 'q', 'assume-yes'])),
);

const DL3015 = runRule({ id: 'DL3015', level: 'info', message: 'Avoid additional packages by specifying `--no-install-recommends`' }, (shell) =>
  none(shell, (c) => aptGetInstall(c) && !hasFlag(c, 'no-install-recommends') && !hasArg(c, 'APT::Install-Recommends=false')),
);

function npmPinned(pkg: string): boolean {
  if (['git://', 'git+ssh://', 'git+http://', 'git+https://'].some((p) => pkg.startsWith(p))) return pkg.includes('#');
  if (['.tar', '.tar.gz', '.tgz'].some((s) => pkg.endsWith(s))) return true;
  if (['/', './', '../', '~/'].some((p) => pkg.startsWith(p))) return true;
  const unscoped = pkg.startsWith('@') ? pkg.slice(pkg.indexOf('/') + 1) : pkg;
  return unscoped.includes('@');
}

const DL3016 = runRule(
  { id: 'DL3016', level: 'warning', message: 'Pin versions in npm. Instead of `npm install <package>` use `npm install <package>@<version>`' },
  (shell) =>
    none(shell, (c) => {
      if (!cmdHasArgs(c, 'npm', ['install'])) return false;
      // `--registry URL` / `--loglevel LEVEL` take the next word; `--registry=URL` does not.
      const valueAt = new Set(c.args.flatMap((a, i) => (a === '--registry' || a === '--loglevel' ? [i + 1] : [])));
      const flagAt = new Set(c.flags.map((f) => f.at));
      const words = c.args.filter((_, i) => !flagAt.has(i) && !valueAt.has(i));
      return words[0] === 'install' && !afterInstall(words).every(npmPinned);
    }),
);

const DL3018 = runRule(
  { id: 'DL3018', level: 'warning', message: 'Pin versions in apk add. Instead of `apk add <package>` use `apk add <package>=<version>`' },
  (shell) =>
    allPinned(
      shell,
      (c) => (cmdHasArgs(c, 'apk', ['add']) ? argsNoFlags(dropFlagArg(c, ['t', 'virtual', 'repository', 'X'])).filter((a) => a !== 'add') : []),
      (p) => p.includes('=') || p.includes('~') || p.endsWith('.apk'),
    ),
);

const DL3019 = runRule(
  {
    id: 'DL3019',
    level: 'info',
    message: 'Use the `--no-cache` switch to avoid the need to use `--update` and remove `/var/cache/apk/*` when done installing packages',
  },
  (shell, run) => hasCacheMount(run, '/var/cache/apk') || none(shell, (c) => cmdHasArgs(c, 'apk', ['add']) && !hasFlag(c, 'no-cache')),
);

const DL3027 = runRule(
  { id: 'DL3027', level: 'warning', message: 'Do not use apt as it is meant to be a end-user tool, use apt-get or apt-cache instead' },
  (shell) => !usingProgram(shell, 'apt'),
);

/** Gem names of `gem install`: words before `--`, without options and the word after each. */
function gemsOf(cmd: ShellCommand): string[] {
  if (!cmdHasArgs(cmd, 'gem', ['install', 'i']) || cmdHasArgs(cmd, 'gem', ['-v', '--version']) || cmdHasPrefixArg(cmd, 'gem', '--version=')) return [];
  const words = cmd.args.slice(0, cmd.args.includes('--') ? cmd.args.indexOf('--') : undefined);
  const gems: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    if (word.startsWith('-')) i++;
    else if (word !== 'install' && word !== 'i') gems.push(word);
  }
  return gems;
}

const DL3028 = runRule(
  { id: 'DL3028', level: 'warning', message: 'Pin versions in gem install. Instead of `gem install <gem>` use `gem install <gem>:<version>`' },
  (shell) => allPinned(shell, gemsOf, (g) => g.includes(':')),
);

const DL3030 = runRule({ id: 'DL3030', level: 'warning', message: 'Use the -y switch to avoid manual input `yum install -y <package`' }, (shell) =>
  none(shell, (c) => cmdHasArgs(c, 'yum', ['install', 'groupinstall', 'localinstall']) && !hasAnyFlag(c, ['y', 'assumeyes'])),
);

const DL3032 = runRule({ id: 'DL3032', level: 'warning', message: '`yum clean all` missing after yum command.' }, (shell) =>
  none(shell, (c) => cmdHasArgs(c, 'yum', ['install'])) || anyCommand(shell, (c) => cmdHasArgs(c, 'yum', ['clean', 'all'])),
);

/** Packages of `<tool> [module] install`: words that are no flags, without `install`/`module`. */
function installPackages(cmd: ShellCommand, tools: string[]): string[] {
  return cmdHasArgs(cmd, tools, ['install']) ? argsNoFlags(cmd).filter((a) => a !== 'install' && a !== 'module') : [];
}

const DL3033 = runRule({ id: 'DL3033', level: 'warning', message: 'Specify version with `yum install -y <package>-<version>`.' }, (shell) =>
  shell.commands.every((c) =>
    cmdHasArgs(c, 'yum', ['module'])
      ? installPackages(c, ['yum']).every((m) => m.includes(':'))
      : installPackages(c, ['yum']).every((p) => p.includes('-') || p.endsWith('.rpm')),
  ),
);

const DL3034 = runRule({ id: 'DL3034', level: 'warning', message: 'Non-interactive switch missing from `zypper` command: `zypper install -y`' }, (shell) =>
  none(
    shell,
    (c) =>
      cmdHasArgs(c, 'zypper', ['install', 'in', 'remove', 'rm', 'source-install', 'si', 'patch']) &&
      !hasAnyFlag(c, ['no-confirm', 'y', 'n', 'non-interactive']),
  ),
);

const DL3035 = runRule({ id: 'DL3035', level: 'warning', message: 'Do not use `zypper dist-upgrade`.' }, (shell) =>
  none(shell, (c) => cmdHasArgs(c, 'zypper', ['dist-upgrade', 'dup'])),
);

/** No `install` command, or a `clean` command after the first one. */
function cleanedAfterInstall(shell: ParsedShell, install: (c: ShellCommand) => boolean, clean: (c: ShellCommand) => boolean): boolean {
  const installAt = commandIndex(shell, install);
  if (installAt < 0) return true;
  const cleanAt = commandIndex(shell, clean);
  return cleanAt >= 0 && installAt < cleanAt;
}

const DL3036 = runRule({ id: 'DL3036', level: 'warning', message: '`zypper clean` missing after zypper use.' }, (shell) =>
  cleanedAfterInstall(
    shell,
    (c) => cmdHasArgs(c, 'zypper', ['install', 'in']),
    (c) => cmdHasArgs(c, 'zypper', ['clean', 'cc']),
  ),
);

const DL3037 = runRule({ id: 'DL3037', level: 'warning', message: 'Specify version with `zypper install -y <package>=<version>`.' }, (shell) =>
  allPinned(
    shell,
    (c) => (cmdHasArgs(c, 'zypper', ['install', 'in']) ? argsNoFlags(c).filter((a) => a !== 'install' && a !== 'in') : []),
    (p) => p.includes('=') || p.includes('>') || p.includes('<') || p.endsWith('.rpm'),
  ),
);

const DNF = ['dnf', 'microdnf'];

const DL3038 = runRule({ id: 'DL3038', level: 'warning', message: 'Use the -y switch to avoid manual input `dnf install -y <package>`.' }, (shell) =>
  none(shell, (c) => cmdHasArgs(c, DNF, ['install', 'groupinstall', 'localinstall']) && !hasAnyFlag(c, ['y', 'assumeyes'])),
);

const DL3040 = runRule({ id: 'DL3040', level: 'warning', message: '`dnf clean all` missing after dnf command.' }, (shell) =>
  DNF.every((tool) =>
    cleanedAfterInstall(
      shell,
      (c) => cmdHasArgs(c, tool, ['install']),
      (c) => cmdHasArgs(c, tool, ['clean', 'all']) || cmdHasArgs(c, 'rm', ['-rf', '/var/cache/yum/*']),
    ),
  ),
);

/** A dnf package is pinned when a dash is followed by version-like parts, or it names a variable or an .rpm. */
function dnfPinned(pkg: string): boolean {
  const parts = pkg.split('-');
  if (parts.length <= 1) return false;
  if (pkg.endsWith('.rpm') || pkg.includes('$')) return true;
  const version = parts.slice(1);
  return version.every((p) => /^[0-9A-Za-z.~^_:+]*$/.test(p)) && version.some((p) => /^\d/.test(p));
}

const DL3041 = runRule({ id: 'DL3041', level: 'warning', message: 'Specify version with `dnf install -y <package>-<version>`.' }, (shell) =>
  shell.commands.every((c) => {
    if (cmdHasArgs(c, DNF, ['module'])) return installPackages(c, DNF).every((m) => m.includes(':'));
    if (cmdHasArgs(c, DNF, ['group'])) return true;
    return installPackages(c, DNF).every(dnfPinned);
  }),
);

const DL3046 = runRule({ id: 'DL3046', level: 'warning', message: '`useradd` without flag `-l` and high UID will result in excessively large Image.' }, (shell) =>
  none(
    shell,
    (c) => c.name === 'useradd' && !hasAnyFlag(c, ['l', 'no-log-init']) && hasAnyFlag(c, ['u', 'uid']) && flagArgs(c, 'u').some((uid) => uid.length > 5),
  ),
);

const DL3047 = runRule(
  {
    id: 'DL3047',
    level: 'warning',
    message:
      'Avoid use of wget without progress bar. Use `wget --progress=dot:giga <url>`.Or consider using `-q` or `-nv` (shorthands for `--quiet` or `--no-verbose`).',
  },
  (shell) =>
    none(
      shell,
      (c) =>
        c.name === 'wget' &&
        !hasFlag(c, 'progress') &&
        !hasAnyFlag(c, ['q', 'quiet', 'o', 'output-file', 'a', 'append-output', 'no-verbose']) &&
        !hasArg(c, '-nv'),
    ),
);

const DL4005 = runRule({ id: 'DL4005', level: 'warning', message: 'Use SHELL to change the default shell' }, (shell) =>
  none(shell, (c) => cmdHasArgs(c, 'ln', ['/bin/sh'])),
);

export const RUN_RULES: HadolintRule[] = [
  DL3001, DL3003, DL3004, DL3008, DL3013, DL3014, DL3015, DL3016, DL3018, DL3019, DL3027, DL3028, DL3030, DL3032, DL3033,
  DL3034, DL3035, DL3036, DL3037, DL3038, DL3040, DL3041, DL3046, DL3047, DL4005,
];

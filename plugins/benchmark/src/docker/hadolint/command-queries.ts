import type { ParsedShell, ShellCommand } from './shell';

/**
 * Questions hadolint's rules ask of a parsed command (Hadolint.Shell), with the same meaning:
 * a flag's "value" is simply the next word, and "arguments without flags" keeps flag values.
 */

/** `name` is the program and one of its arguments is in `anyOf` (cmdHasArgs). */
export function cmdHasArgs(cmd: ShellCommand, name: string | readonly string[], anyOf: readonly string[]): boolean {
  const names = typeof name === 'string' ? [name] : name;
  return names.includes(cmd.name) && cmd.args.some((a) => anyOf.includes(a));
}

/** `name` is the program and one of its arguments starts with `prefix` (cmdHasPrefixArg). */
export function cmdHasPrefixArg(cmd: ShellCommand, name: string, prefix: string): boolean {
  return cmd.name === name && cmd.args.some((a) => a.startsWith(prefix));
}

export function hasFlag(cmd: ShellCommand, flag: string): boolean {
  return cmd.flags.some((f) => f.name === flag);
}

export function hasAnyFlag(cmd: ShellCommand, flags: readonly string[]): boolean {
  return cmd.flags.some((f) => flags.includes(f.name));
}

export function hasArg(cmd: ShellCommand, arg: string): boolean {
  return cmd.args.includes(arg);
}

/** Arguments that are not flag words (getArgsNoFlags); values of flags stay. */
export function argsNoFlags(cmd: ShellCommand): string[] {
  const flagged = new Set(cmd.flags.map((f) => f.at));
  return cmd.args.filter((_, i) => !flagged.has(i));
}

/** The command without the word after each of the given flags (dropFlagArg). */
export function dropFlagArg(cmd: ShellCommand, flags: readonly string[]): ShellCommand {
  const drop = new Set(cmd.flags.filter((f) => flags.includes(f.name)).map((f) => f.at + 1));
  const keptIndex: number[] = [];
  const args = cmd.args.filter((_, i) => {
    if (drop.has(i)) return false;
    keptIndex.push(i);
    return true;
  });
  const newIndex = new Map(keptIndex.map((old, i) => [old, i]));
  const kept = cmd.flags.flatMap((f) => {
    const at = newIndex.get(f.at);
    return at === undefined ? [] : [{ name: f.name, at }];
  });
  return { name: cmd.name, args, flags: kept };
}

/** The words after each occurrence of `flag` (getFlagArg: `useradd -u 12345` → ["12345"]). */
export function flagArgs(cmd: ShellCommand, flag: string): string[] {
  return cmd.flags.flatMap((f) => {
    const value = f.name === flag ? cmd.args[f.at + 1] : undefined;
    return value === undefined ? [] : [value];
  });
}

/** `seq` appears as consecutive words in `args` (Haskell's isInfixOf on lists). */
export function argsContain(cmd: ShellCommand, seq: readonly string[]): boolean {
  for (let i = 0; i + seq.length <= cmd.args.length; i++) {
    if (seq.every((s, j) => cmd.args[i + j] === s)) return true;
  }
  return false;
}

export function usingProgram(shell: ParsedShell, program: string): boolean {
  return shell.commands.some((c) => c.name === program);
}

export function anyCommand(shell: ParsedShell, test: (cmd: ShellCommand) => boolean): boolean {
  return shell.commands.some(test);
}

/** Index of the first command passing `test`, or -1 (findCommandIndex). */
export function commandIndex(shell: ParsedShell, test: (cmd: ShellCommand) => boolean): number {
  return shell.commands.findIndex(test);
}

/** `pip…  install` or `python… -m pip install` (isPipInstall). */
export function isPipInstall(cmd: ShellCommand): boolean {
  return (cmd.name.startsWith('pip') && cmd.args.includes('install')) || (cmd.name.startsWith('python') && argsContain(cmd, ['-m', 'pip', 'install']));
}

/** Drops words up to and including the first run of `install` words (stripInstallPrefix). */
export function afterInstall(words: string[]): string[] {
  let i = words.indexOf('install');
  if (i < 0) return [];
  while (words[i] === 'install') i++;
  return words.slice(i);
}

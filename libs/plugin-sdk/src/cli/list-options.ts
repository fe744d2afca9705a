import type { Command, Option } from 'commander';

/**
 * Makes the list options of `command` (declared variadic, `-r, --rules <files...>`) stop where
 * the user's list ends, so that they never swallow the command's positional arguments:
 *
 * - each occurrence takes one value and may be repeated, as Falco's `-r`:
 *   `replay -r a.yaml -r b.yaml events.json` gives rules [a.yaml, b.yaml], events [events.json];
 * - a run of values is taken whole only when `--` ends it (the documented list form):
 *   `replay --rules a.yaml b.yaml -- events.json` gives the same.
 *
 * commander alone lets a variadic option take every following value up to the next option, so
 * `-r a.yaml events.json` would read the events file as a rules file and miss the operand.
 * Implemented by rewriting the command's own arguments before commander parses them: each value
 * of a list option is handed over as `--name=value`, a form commander never extends.
 */
export function endListOptionsAtOperands(command: Command): Command {
  const parse = command.parseOptions.bind(command);
  command.parseOptions = (argv: string[]) => parse(rewriteListOptions(argv, command.options.filter((o) => o.variadic)));
  return command;
}

/** The rewriting itself (exported for its tests): argv of one command, its variadic options. */
export function rewriteListOptions(argv: readonly string[], listOptions: readonly Option[]): string[] {
  const byFlag = new Map<string, Option>();
  for (const option of listOptions) {
    if (option.long) byFlag.set(option.long, option);
    if (option.short) byFlag.set(option.short, option);
  }
  const out: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++] as string;
    if (arg === '--') {
      out.push(arg, ...argv.slice(i));
      break;
    }
    const option = byFlag.get(arg);
    if (!option || i >= argv.length) {
      out.push(arg);
      continue;
    }
    // The run of plain values after the flag; all of them belong to the list only when `--` ends it.
    let end = i;
    while (end < argv.length && !(argv[end] as string).startsWith('-')) end++;
    const runEndsList = argv[end] === '--';
    const values = runEndsList ? argv.slice(i, end) : argv.slice(i, i + 1);
    if (values.length === 0) {
      out.push(arg); // no value (`-r --match all`): commander reports the missing argument
      continue;
    }
    out.push(...values.map((value) => asSingleValue(option, value)));
    i += values.length;
  }
  return out;
}

function asSingleValue(option: Option, value: string): string {
  return option.long ? `${option.long}=${value}` : `${option.short}${value}`;
}

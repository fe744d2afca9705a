/**
 * Whether to colour output on `stream`: `FORCE_COLOR` (any value but `0`) forces it, `NO_COLOR`
 * (any non-empty value, no-color.org) turns it off, otherwise only on a terminal (never when piped).
 */
export function useColor(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env['FORCE_COLOR'];
  if (force !== undefined && force !== '0' && force !== 'false') return true;
  if (env['NO_COLOR']) return false;
  return stream.isTTY === true;
}

const SGR = { red: 31, yellow: 33, green: 32, cyan: 36, magenta: 35, dim: 2, bold: 1 } as const;
export type Color = keyof typeof SGR;

/** `text` in an ANSI colour (SGR), reset after it. */
export function colorize(text: string, color: Color): string {
  return `\u001b[${SGR[color]}m${text}\u001b[0m`;
}

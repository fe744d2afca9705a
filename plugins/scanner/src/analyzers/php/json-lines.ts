/**
 * The first and last line of each element of the arrays under some top-level keys of a JSON
 * document (`{"packages": [{…}, {…}]}` → the lines of each `{…}`), found by one scan that
 * follows strings, escapes and nesting. JSON.parse gives values, not positions; lockfile
 * findings point at the lines a package is declared on, as Trivy's do.
 * Call only on text JSON.parse accepted.
 */
export function topLevelArrayElementLines(text: string, keys: readonly string[]): Map<string, { startLine: number; endLine: number }[]> {
  const result = new Map<string, { startLine: number; endLine: number }[]>(keys.map((k) => [k, []]));
  let line = 1;
  let depth = 0;
  let lastKey: string | undefined;
  let collecting: { startLine: number; endLine: number }[] | undefined;
  let elementStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) {
      line++;
    } else if (ch === 34) {
      // a string: find its end, remember it as the last key at depth 1
      const start = i + 1;
      i++;
      while (i < text.length && text.charCodeAt(i) !== 34) {
        if (text.charCodeAt(i) === 92) i++;
        i++;
      }
      if (depth === 1) lastKey = text.slice(start, i);
    } else if (ch === 123 || ch === 91) {
      depth++;
      if (depth === 2 && ch === 91) collecting = lastKey !== undefined ? result.get(lastKey) : undefined;
      else if (depth === 3 && collecting) elementStart = line;
    } else if (ch === 125 || ch === 93) {
      if (depth === 3 && collecting) collecting.push({ startLine: elementStart, endLine: line });
      if (depth === 2) collecting = undefined;
      depth--;
    }
  }
  return result;
}

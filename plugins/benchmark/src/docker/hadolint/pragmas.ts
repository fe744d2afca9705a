/**
 * hadolint's inline pragmas:
 * - `# hadolint ignore=DL3008,DL3009` ignores those rules for the instruction on the next line;
 * - `# hadolint global ignore=DL3003` ignores them in the whole file.
 */
export interface Pragmas {
  /** Line (1-based) → rule ids ignored for the instruction starting there. */
  byLine: Map<number, Set<string>>;
  global: Set<string>;
}

const PRAGMA = /^hadolint\s+(global\s+)?ignore\s*=\s*([A-Za-z0-9, ]+)/;

export function ignoredByPragmas(comments: { line: number; text: string }[]): Pragmas {
  const pragmas: Pragmas = { byLine: new Map(), global: new Set() };
  for (const comment of comments) {
    const match = PRAGMA.exec(comment.text.trim());
    if (!match) continue;
    const ids = (match[2] ?? '')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== '');
    if (match[1]) {
      for (const id of ids) pragmas.global.add(id);
      continue;
    }
    const next = pragmas.byLine.get(comment.line + 1) ?? new Set<string>();
    for (const id of ids) next.add(id);
    pragmas.byLine.set(comment.line + 1, next);
  }
  return pragmas;
}

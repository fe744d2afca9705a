/**
 * Go's strconv.Unquote for double-quoted strings (build settings are written with
 * strconv.Quote when they hold spaces, quotes or control characters). Returns undefined for a
 * malformed literal.
 */
export function goUnquote(literal: string): string | undefined {
  if (literal.length < 2 || literal[0] !== '"' || literal[literal.length - 1] !== '"') return undefined;
  const body = literal.slice(1, -1);
  const bytes: number[] = [];
  const pushString = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i] ?? '';
    if (ch === '"') return undefined;
    if (ch !== '\\') {
      const cp = body.codePointAt(i) ?? 0;
      pushString(String.fromCodePoint(cp));
      if (cp > 0xffff) i++;
      continue;
    }
    const esc = body[++i];
    const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34, "'": 39 };
    if (esc !== undefined && esc in simple) {
      bytes.push(simple[esc] ?? 0);
    } else if (esc === 'x' || esc === 'u' || esc === 'U') {
      const len = esc === 'x' ? 2 : esc === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + len);
      if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) return undefined;
      const value = Number.parseInt(hex, 16);
      if (esc === 'x') bytes.push(value);
      else if (value > 0x10ffff) return undefined;
      else pushString(String.fromCodePoint(value));
      i += len;
    } else if (esc !== undefined && /[0-7]/.test(esc)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct)) return undefined;
      const value = Number.parseInt(oct, 8);
      if (value > 255) return undefined;
      bytes.push(value);
      i += 2;
    } else {
      return undefined;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * Splits a command line into words as github.com/mattn/go-shellwords does for `-ldflags`
 * (Trivy's choice): blanks separate words, '...' and "..." group, a backslash escapes the next
 * character outside single quotes. Returns undefined for an unterminated quote.
 */
export function shellWords(line: string): string[] | undefined {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] ?? '';
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) current += line[++i];
      else current += ch;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) return undefined;
  if (inWord) words.push(current);
  return words;
}

/** Byte classes for the Go regexp translator: Perl and POSIX classes, escapes, case folding (ASCII). */

export const SPACE = [0x09, 0x0a, 0x0c, 0x0d, 0x20];
export const PERL_CLASSES: Record<string, { set: number[]; negated: boolean }> = {
  d: { set: range(0x30, 0x39), negated: false },
  D: { set: range(0x30, 0x39), negated: true },
  s: { set: SPACE, negated: false },
  S: { set: SPACE, negated: true },
  w: { set: wordChars(), negated: false },
  W: { set: wordChars(), negated: true },
};

export const POSIX_CLASSES: Record<string, number[]> = {
  alnum: [...range(0x30, 0x39), ...range(0x41, 0x5a), ...range(0x61, 0x7a)],
  alpha: [...range(0x41, 0x5a), ...range(0x61, 0x7a)],
  ascii: range(0x00, 0x7f),
  blank: [0x09, 0x20],
  cntrl: [...range(0x00, 0x1f), 0x7f],
  digit: range(0x30, 0x39),
  graph: range(0x21, 0x7e),
  lower: range(0x61, 0x7a),
  print: range(0x20, 0x7e),
  punct: [...range(0x21, 0x2f), ...range(0x3a, 0x40), ...range(0x5b, 0x60), ...range(0x7b, 0x7e)],
  space: [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20],
  upper: range(0x41, 0x5a),
  word: wordChars(),
  xdigit: [...range(0x30, 0x39), ...range(0x41, 0x46), ...range(0x61, 0x66)],
};

export function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let c = from; c <= to; c++) out.push(c);
  return out;
}

export function wordChars(): number[] {
  return [...range(0x30, 0x39), ...range(0x41, 0x5a), 0x5f, ...range(0x61, 0x7a)];
}

export function hex(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** A literal byte, escaped so that it means itself anywhere in a JavaScript pattern. */
export function byteLiteral(code: number): string {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f) return String.fromCharCode(code);
  return hex(code);
}

/** A class of ASCII code points as a JavaScript class over bytes. */
export function classSource(members: Set<number>, negated: boolean): string {
  const codes = [...members].sort((a, b) => a - b);
  if (!negated && codes.length === 0) return '[^\\x00-\\xff]';
  if (negated && codes.length === 0) return '[\\x00-\\xff]';
  let body = '';
  for (let k = 0; k < codes.length; ) {
    let end = k;
    while (end + 1 < codes.length && codes[end + 1] === (codes[end] as number) + 1) end++;
    const first = codes[k] as number;
    const last = codes[end] as number;
    body += last > first + 1 ? `${hex(first)}-${hex(last)}` : last === first + 1 ? `${hex(first)}${hex(last)}` : hex(first);
    k = end + 1;
  }
  return negated ? `[^${body}]` : `[${body}]`;
}

export function foldCase(members: Set<number>): void {
  for (const code of [...members]) {
    if (code >= 0x41 && code <= 0x5a) members.add(code + 0x20);
    else if (code >= 0x61 && code <= 0x7a) members.add(code - 0x20);
  }
}

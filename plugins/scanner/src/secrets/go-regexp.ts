/**
 * Go (RE2) regular expressions, as Trivy's secret rules and users' secret configs are written,
 * run by V8 over file bytes.
 *
 * Why a translator and not an RE2 port: every text file of every layer passes through these
 * rules, and V8's engine with literal-prefix search is one to two orders of magnitude faster
 * than a pure-JavaScript RE2 (the secret pass has to be nearly free next to decompression).
 * Why not JavaScript syntax directly: Trivy's rules and configs use Go's syntax and semantics:
 * `(?P<name>)`, flags switched mid-pattern (`(LTAI)(?i)[a-z0-9]{20}`), `\A` / `\z`, ASCII-only
 * `\s`, `.` that matches `\r`, byte offsets, and duplicate group names.
 *
 * The subject is the file's bytes decoded as latin1 (one character per byte), so match offsets
 * are byte offsets like Go's and redaction replaces bytes like Trivy's. Every construct is
 * emitted in a form whose meaning does not depend on JavaScript flags: case-insensitivity is
 * expanded into classes (`k` -> `[kK]`), anchors become lookarounds, `.` becomes `[^\n]`, and
 * non-ASCII literals become their UTF-8 byte sequences. What cannot be expressed over bytes
 * (Unicode classes, non-ASCII class members) is refused with a message naming the pattern.
 *
 * Semantics kept from Go: leftmost-first alternation (both engines prefer the left alternative
 * as a backtracking engine would), greedy / lazy repetition and the `U` flag swapping them,
 * `(?i)` / `(?m)` / `(?s)` scoped to the enclosing group, Go's FindAll treatment of empty
 * matches (see findAll). Not kept: Go's Unicode case folding of non-ASCII letters (`(?i)é`
 * matches only `é`).
 *
 * Linear time: V8 backtracks, so a pattern with a repeated group that itself repeats or
 * alternates (Trivy's azure-sas-token `(?:[&;][a-z]+=[^&\s'"]*){1,12}`, a config's
 * `(.|\s)*`) can take exponential time on hostile bytes (measured: 40 `;a=x` pairs after
 * `sv=2020-01-01`, 22 s). Such patterns run on RE2JS (a JavaScript port of RE2, linear in the
 * input) from the same translation; the rest keep V8's speed. Chunking (scanner.ts) bounds the
 * input of every call as well.
 */

import { RE2JS } from 're2js';

export class GoRegexpError extends Error {}

/** `js`: a V8 pattern (anchors as lookarounds). `re2`: RE2 syntax for RE2JS (anchors as \A, \z, (?m:^)). */
export type RegexpTarget = 'js' | 're2';

export interface CompiledGoRegexp {
  /** The Go source, for messages. */
  source: string;
  /** JavaScript pattern over latin1-decoded bytes. */
  js: string;
  /** Name of each capturing group by its 1-based JavaScript group number (undefined: unnamed). */
  groupNames: (string | undefined)[];
  /** A group repeated more than once holds a repetition or an alternation: may backtrack exponentially. */
  superLinear: boolean;
}

interface GroupInfo {
  /** The body repeats something more than once. */
  repetition: boolean;
  alternation: boolean;
  /** The body's alternatives while they are plain literals (lower-cased under (?i)); null once not. */
  branches: string[] | null;
}

/**
 * Whether repeating this group can make a backtracking engine try exponentially many ways: its
 * body repeats something, or its alternatives can match the same text in more than one way. An
 * alternation of distinct literals of one length (`(ey|ew)+`) picks its branch by the next
 * characters, so it is safe.
 */
function ambiguous(group: GroupInfo): boolean {
  if (group.repetition) return true;
  if (!group.alternation) return false;
  const branches = group.branches;
  return !branches || new Set(branches).size !== branches.length || branches.some((b) => b.length !== (branches[0] as string).length);
}

const newGroup = (): GroupInfo => ({ repetition: false, alternation: false, branches: [''] });

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

const SPACE = [0x09, 0x0a, 0x0c, 0x0d, 0x20];
const PERL_CLASSES: Record<string, { set: number[]; negated: boolean }> = {
  d: { set: range(0x30, 0x39), negated: false },
  D: { set: range(0x30, 0x39), negated: true },
  s: { set: SPACE, negated: false },
  S: { set: SPACE, negated: true },
  w: { set: wordChars(), negated: false },
  W: { set: wordChars(), negated: true },
};

const POSIX_CLASSES: Record<string, number[]> = {
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

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let c = from; c <= to; c++) out.push(c);
  return out;
}

function wordChars(): number[] {
  return [...range(0x30, 0x39), ...range(0x41, 0x5a), 0x5f, ...range(0x61, 0x7a)];
}

function hex(code: number): string {
  return `\\x${code.toString(16).padStart(2, '0')}`;
}

/** A literal byte, escaped so that it means itself anywhere in a JavaScript pattern. */
function byteLiteral(code: number): string {
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a) || code === 0x5f) return String.fromCharCode(code);
  return hex(code);
}

/** A class of ASCII code points as a JavaScript class over bytes. */
function classSource(members: Set<number>, negated: boolean): string {
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

function foldCase(members: Set<number>): void {
  for (const code of [...members]) {
    if (code >= 0x41 && code <= 0x5a) members.add(code + 0x20);
    else if (code >= 0x61 && code <= 0x7a) members.add(code - 0x20);
  }
}

class Translator {
  private pos = 0;
  private out = '';
  private readonly groupNames: (string | undefined)[] = [];
  private readonly flagStack: Flags[] = [];
  private flags: Flags = { i: false, m: false, s: false, U: false };
  private readonly chars: string[];
  /** Open groups (null for a flag-only `(?i)`, which opens none) and the top level. */
  private readonly groups: GroupInfo[] = [newGroup()];
  /** The group that just closed, while a repetition may still follow it. */
  private closed: GroupInfo | undefined;
  private superLinear = false;

  constructor(
    private readonly source: string,
    private readonly target: RegexpTarget,
  ) {
    this.chars = [...source];
  }

  private get current(): GroupInfo {
    return this.groups[this.groups.length - 1] as GroupInfo;
  }

  /** Records a repetition with at most `max` rounds (Infinity: unbounded). */
  private repetition(max: number): void {
    this.current.branches = null;
    if (max > 1) {
      this.current.repetition = true;
      if (this.closed && ambiguous(this.closed)) this.superLinear = true;
    }
  }

  private anchor(kind: 'start' | 'end'): string {
    if (this.target === 're2') return this.flags.m ? (kind === 'start' ? '(?m:^)' : '(?m:$)') : kind === 'start' ? '\\A' : '\\z';
    if (kind === 'start') return this.flags.m ? '(?<![^\\n])' : '(?<![\\s\\S])';
    return this.flags.m ? '(?![^\\n])' : '(?![\\s\\S])';
  }

  private fail(message: string): never {
    throw new GoRegexpError(`invalid or unsupported regular expression ${JSON.stringify(this.source)}: ${message}`);
  }

  private peek(offset = 0): string | undefined {
    return this.chars[this.pos + offset];
  }

  translate(): CompiledGoRegexp {
    while (this.pos < this.chars.length) this.step();
    if (this.flagStack.length > 0) this.fail('missing closing )');
    return { source: this.source, js: this.out, groupNames: this.groupNames, superLinear: this.superLinear };
  }

  private step(): void {
    const c = this.chars[this.pos++] as string;
    const closed = this.closed;
    this.closed = undefined;
    if (c === '*' || c === '+' || c === '?' || c === '{') this.closed = closed;
    const branches = this.current.branches;
    // Anything but a plain literal ends the literal-alternatives view of the group.
    if (branches && c !== '|' && c !== ')' && !/[\p{L}\p{N} _\-=:,;'"<>!@#%&~`/]/u.test(c)) this.current.branches = null;
    else if (branches && c !== '|' && c !== ')') branches[branches.length - 1] += this.flags.i ? c.toLowerCase() : c;
    switch (c) {
      case '\\':
        this.escape();
        return;
      case '.':
        this.out += this.flags.s ? '[\\s\\S]' : '[^\\n]';
        return;
      case '^':
        this.out += this.anchor('start');
        return;
      case '$':
        this.out += this.anchor('end');
        return;
      case '[':
        this.characterClass();
        return;
      case '(':
        this.openGroup();
        return;
      case ')': {
        if (this.flagStack.length === 0) this.fail('unexpected )');
        this.flags = this.flagStack.pop() as Flags;
        const group = this.groups.pop() as GroupInfo;
        if (group.repetition) this.current.repetition = true;
        this.current.branches = null;
        this.closed = group;
        this.out += ')';
        return;
      }
      case '|':
        this.current.alternation = true;
        this.current.branches?.push('');
        this.out += '|';
        return;
      case '*':
      case '+':
      case '?':
        this.repetition(c === '?' ? 1 : Infinity);
        this.out += c + this.laziness();
        return;
      case '{': {
        const repeat = /^\{(\d+)(,(\d*))?\}/.exec(this.chars.slice(this.pos - 1, this.pos + 24).join(''));
        if (!repeat) {
          // Go reads a `{` that does not start a valid repetition as a literal.
          this.out += '\\{';
          return;
        }
        const min = Number(repeat[1]);
        const max = repeat[3] ? Number(repeat[3]) : undefined;
        if (min > 1000 || (max ?? 0) > 1000) this.fail('repetition count over 1000');
        if (max !== undefined && max < min) this.fail(`invalid repeat count ${repeat[0]}`);
        this.pos += repeat[0].length - 1;
        this.repetition(repeat[2] === undefined ? min : (max ?? Infinity));
        this.out += repeat[0] + this.laziness();
        return;
      }
      default:
        this.literal(c.codePointAt(0) as number);
    }
  }

  /** A `?` after a repetition makes it lazy; the U flag swaps the default. */
  private laziness(): string {
    let lazy = false;
    if (this.peek() === '?') {
      this.pos++;
      lazy = true;
    }
    return lazy !== this.flags.U ? '?' : '';
  }

  private literal(code: number): void {
    if (code > 0x7f) {
      // A non-ASCII character is its UTF-8 byte sequence in the latin1 subject.
      this.out += `(?:${[...Buffer.from(String.fromCodePoint(code), 'utf8')].map(hex).join('')})`;
      return;
    }
    const isLetter = (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
    if (this.flags.i && isLetter) {
      const members = new Set([code]);
      foldCase(members);
      this.out += classSource(members, false);
      return;
    }
    this.out += byteLiteral(code);
  }

  private escape(): void {
    const c = this.chars[this.pos++];
    if (c === undefined) this.fail('trailing backslash');
    switch (c) {
      case 'A':
        this.out += this.target === 're2' ? '\\A' : '(?<![\\s\\S])';
        return;
      case 'z':
        this.out += this.target === 're2' ? '\\z' : '(?![\\s\\S])';
        return;
      case 'b':
      case 'B':
        this.out += `\\${c}`;
        return;
      case 'C':
        this.out += '[\\s\\S]';
        return;
      case 'Q': {
        const end = this.chars.indexOf('\\', this.pos);
        let stop = end;
        while (stop !== -1 && this.chars[stop + 1] !== 'E') stop = this.chars.indexOf('\\', stop + 1);
        const text = this.chars.slice(this.pos, stop === -1 ? undefined : stop);
        this.pos = stop === -1 ? this.chars.length : stop + 2;
        for (const ch of text) this.literal(ch.codePointAt(0) as number);
        return;
      }
      case 'p':
      case 'P':
        this.fail(`Unicode class \\${c} cannot be matched over bytes`);
    }
    const perl = PERL_CLASSES[c];
    if (perl) {
      this.out += classSource(new Set(perl.set), perl.negated);
      return;
    }
    this.literal(this.escapedCode(c));
  }

  /** The code point of a single-character escape (after the backslash), outside or inside a class. */
  private escapedCode(c: string): number {
    const simple: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };
    if (simple[c] !== undefined) return simple[c];
    if (c === 'x') {
      if (this.peek() === '{') {
        const close = this.chars.indexOf('}', this.pos);
        const digits = close === -1 ? '' : this.chars.slice(this.pos + 1, close).join('');
        if (!/^[0-9a-fA-F]{1,8}$/.test(digits)) this.fail('invalid \\x{...} escape');
        this.pos = close + 1;
        return parseInt(digits, 16);
      }
      const digits = this.chars.slice(this.pos, this.pos + 2).join('');
      if (!/^[0-9a-fA-F]{2}$/.test(digits)) this.fail('invalid \\x escape');
      this.pos += 2;
      return parseInt(digits, 16);
    }
    if (/[0-7]/.test(c)) {
      if (c !== '0' && !/[0-7]/.test(this.peek() ?? '')) this.fail(`backreference \\${c} is not supported`);
      let digits = c;
      while (digits.length < 3 && /[0-7]/.test(this.peek() ?? '')) digits += this.chars[this.pos++];
      return parseInt(digits, 8);
    }
    if (/[A-Za-z0-9]/.test(c)) this.fail(`invalid escape \\${c}`);
    return c.codePointAt(0) as number;
  }

  private characterClass(): void {
    const members = new Set<number>();
    let negated = false;
    if (this.peek() === '^') {
      negated = true;
      this.pos++;
    }
    let first = true;
    for (;;) {
      const c = this.chars[this.pos];
      if (c === undefined) this.fail('missing closing ]');
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      first = false;
      if (c === '[' && this.peek(1) === ':') {
        const close = this.chars.indexOf(']', this.pos + 2);
        const name = close === -1 ? '' : this.chars.slice(this.pos + 2, close).join('');
        if (name.endsWith(':')) {
          const inverted = name.startsWith('^');
          const set = POSIX_CLASSES[name.slice(inverted ? 1 : 0, -1)];
          if (!set) this.fail(`unknown POSIX class [${name}]`);
          this.pos = close + 1;
          const chosen = inverted ? range(0, 0x7f).filter((x) => !set.includes(x)) : set;
          for (const x of chosen) members.add(x);
          continue;
        }
      }
      let low: number;
      this.pos++;
      if (c === '\\') {
        const e = this.chars[this.pos++];
        if (e === undefined) this.fail('trailing backslash');
        const perl = PERL_CLASSES[e];
        if (perl) {
          const chosen = perl.negated ? range(0, 0x7f).filter((x) => !perl.set.includes(x)) : perl.set;
          // A negated Perl class inside a class also matches every non-ASCII character.
          if (perl.negated && negated) this.fail(`\\${e} inside a negated class cannot be matched over bytes`);
          for (const x of chosen) members.add(x);
          if (perl.negated) this.addNonAscii = true;
          continue;
        }
        if (e === 'p' || e === 'P') this.fail(`Unicode class \\${e} cannot be matched over bytes`);
        low = this.escapedCode(e);
      } else {
        low = c.codePointAt(0) as number;
      }
      let high = low;
      if (this.peek() === '-' && this.peek(1) !== undefined && this.peek(1) !== ']') {
        this.pos++;
        const h = this.chars[this.pos++] as string;
        high = h === '\\' ? this.escapedCode(this.chars[this.pos++] ?? '') : (h.codePointAt(0) as number);
        if (high < low) this.fail(`invalid class range ${String.fromCodePoint(low)}-${String.fromCodePoint(high)}`);
      }
      if (high > 0x7f) this.fail('non-ASCII characters in a class cannot be matched over bytes');
      for (let x = low; x <= high; x++) members.add(x);
    }
    if (this.flags.i) foldCase(members);
    const ascii = classSource(members, negated);
    if (this.addNonAscii) {
      // e.g. [\W] or [a\S]: ASCII members plus every byte of a non-ASCII character.
      this.out += `(?:${ascii}|[\\x80-\\xff])`;
      this.addNonAscii = false;
    } else {
      this.out += ascii;
    }
  }

  private addNonAscii = false;

  private openGroup(): void {
    this.flagStack.push(this.flags);
    this.groups.push(newGroup());
    if (this.peek() !== '?') {
      this.groupNames.push(undefined);
      this.out += '(';
      return;
    }
    this.pos++;
    const rest = this.chars.slice(this.pos, this.pos + 200).join('');
    const named = /^P?<([A-Za-z0-9_]+)>/.exec(rest);
    if (named) {
      this.pos += named[0].length;
      this.groupNames.push(named[1]);
      this.out += '(';
      return;
    }
    const flagGroup = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
    if (!flagGroup || (flagGroup[1] === '' && flagGroup[2] === undefined && flagGroup[3] === ')')) this.fail(`unsupported group syntax (?${rest.slice(0, 10)}`);
    this.pos += flagGroup[0].length;
    const flags = { ...this.flags };
    for (const f of flagGroup[1] ?? '') flags[f as keyof Flags] = true;
    for (const f of flagGroup[2] ?? '') flags[f as keyof Flags] = false;
    if (flagGroup[3] === ')') {
      // `(?i)`: changes the flags until the end of the enclosing group.
      this.flagStack.pop();
      this.groups.pop();
      this.flags = flags;
      return;
    }
    this.flags = flags;
    this.out += '(?:';
  }
}

/** Translates a Go regular expression; throws GoRegexpError naming the pattern when it cannot. */
export function translateGoRegexp(source: string, target: RegexpTarget = 'js'): CompiledGoRegexp {
  const translated = new Translator(source, target).translate();
  try {
    if (target === 'js') new RegExp(translated.js);
    else RE2JS.compile(translated.js);
  } catch (error) {
    throw new GoRegexpError(`invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`);
  }
  return translated;
}

/** One engine's search: the match and group bounds (-1: group not taking part) from `from` on. */
type Search = (subject: string, from: number, groups: boolean) => number[] | undefined;

function v8Search(pattern: string): Search {
  const plain = new RegExp(pattern, 'g');
  const withIndices = new RegExp(pattern, 'gd');
  return (subject, from, groups) => {
    const re = groups ? withIndices : plain;
    re.lastIndex = from;
    const m = re.exec(subject);
    if (!m) return undefined;
    if (!groups) return [m.index, m.index + m[0].length];
    const row: number[] = [];
    for (const pair of (m as RegExpExecArray & { indices: ([number, number] | undefined)[] }).indices) row.push(pair ? pair[0] : -1, pair ? pair[1] : -1);
    return row;
  };
}

function re2Search(pattern: string): Search {
  const re = RE2JS.compile(pattern);
  return (subject, from, groups) => {
    const matcher = re.matcher(subject);
    if (!matcher.find(from)) return undefined;
    const row = [matcher.start(), matcher.end()];
    if (groups) for (let g = 1; g <= matcher.groupCount(); g++) row.push(matcher.start(g), matcher.end(g));
    return row;
  };
}

/** A compiled Go regular expression over latin1 strings. */
export class GoRegexp {
  readonly source: string;
  readonly groupNames: readonly (string | undefined)[];
  /** Runs on RE2JS (linear time) rather than V8 (see the module comment). */
  readonly linear: boolean;
  private readonly search: Search;

  /** `engine` forces one engine (tests compare them); by default V8 unless the pattern may backtrack exponentially. */
  constructor(source: string, engine?: 'v8' | 're2') {
    const translated = translateGoRegexp(source);
    this.source = source;
    this.groupNames = translated.groupNames;
    this.linear = engine ? engine === 're2' : translated.superLinear;
    this.search = this.linear ? re2Search(translateGoRegexp(source, 're2').js) : v8Search(translated.js);
  }

  /** Go's MatchString: is there a match anywhere. */
  matches(subject: string): boolean {
    return this.search(subject, 0, false) !== undefined;
  }

  /**
   * Go's FindAllIndex / FindAllSubmatchIndex: successive non-overlapping matches; an empty match
   * right after the previous match is skipped, and after an empty match the search moves on one
   * character. Each result is [start, end] of the match, then [start, end] of each group (-1
   * when the group did not take part) when `groups` is set.
   */
  findAll(subject: string, groups = false): number[][] {
    const out: number[][] = [];
    let previousEnd = -1;
    for (let from = 0; from <= subject.length; ) {
      const row = this.search(subject, from, groups);
      if (!row) break;
      const start = row[0] as number;
      const end = row[1] as number;
      from = end === start ? end + 1 : end;
      const abutting = end === start && start === previousEnd;
      previousEnd = end;
      if (!abutting) out.push(row);
    }
    return out;
  }
}

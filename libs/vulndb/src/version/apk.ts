import { InvalidVersionError } from './errors';

/*
 * Alpine apk versions, ordered as apk-tools orders them (src/version.c, which go-apk-version
 * ports): digits separated by `.`, one optional letter, `_suffix[N]` parts
 * (_alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p) and `-rN`.
 * A version is parsed once into its token list; comparing walks two lists.
 */

const enum Token {
  Invalid = -1,
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'];
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'];

/** One token: its type and value. Suffix values: pre-release suffixes negative. */
export interface ApkToken {
  type: number;
  value: number;
}

export interface ApkVersion {
  text: string;
  tokens: ApkToken[];
  /** The type after the last token: End, or Invalid for a malformed tail. */
  end: number;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLower(code: number): boolean {
  return code >= 97 && code <= 122;
}

class Cursor {
  pos = 0;
  constructor(readonly text: string) {}
  get left(): number {
    return this.text.length - this.pos;
  }
}

/** apk-tools next_token: decides the type of the token starting at the cursor. */
function nextToken(type: number, c: Cursor): number {
  let n: number = Token.Invalid;
  const ch = c.text.charCodeAt(c.pos);
  if (c.left === 0 || ch === 0) {
    n = Token.End;
  } else if ((type === Token.Digit || type === Token.DigitOrZero) && isLower(ch)) {
    n = Token.Letter;
  } else if (type === Token.Letter && isDigit(ch)) {
    n = Token.Digit;
  } else if (type === Token.Suffix && isDigit(ch)) {
    n = Token.SuffixNo;
  } else {
    if (ch === 46 /* . */) n = Token.DigitOrZero;
    else if (ch === 95 /* _ */) n = Token.Suffix;
    else if (ch === 45 /* - */) {
      if (c.left > 1 && c.text.charCodeAt(c.pos + 1) === 114 /* r */) {
        n = Token.RevisionNo;
        c.pos++;
      } else n = Token.Invalid;
    }
    c.pos++;
  }
  if (n < type) {
    if (!((n === Token.DigitOrZero && type === Token.Digit) || (n === Token.Suffix && type === Token.SuffixNo) || (n === Token.Digit && type === Token.Letter))) n = Token.Invalid;
  }
  return n;
}

/** apk-tools get_token: reads one token of `type`; returns its value and the next type. */
function getToken(type: number, c: Cursor): { value: number; next: number } {
  if (c.left <= 0) return { value: 0, next: Token.End };
  let value = 0;
  let i = 0;
  let nt: number = Token.Invalid;
  const t = c.text;
  const at = c.pos;
  switch (type) {
    case Token.DigitOrZero:
    case Token.Digit:
    case Token.SuffixNo:
    case Token.RevisionNo:
      if (type === Token.DigitOrZero && t.charCodeAt(at) === 48) {
        // leading zeros get a special treatment: "1.01" sorts before "1.1"
        while (i < c.left && t.charCodeAt(at + i) === 48) i++;
        nt = Token.Digit;
        value = -i;
        break;
      }
      while (i < c.left && isDigit(t.charCodeAt(at + i))) {
        value = value * 10 + (t.charCodeAt(at + i) - 48);
        i++;
      }
      break;
    case Token.Letter:
      value = t.charCodeAt(at);
      i = 1;
      break;
    case Token.Suffix: {
      const pre = PRE_SUFFIXES.findIndex((s) => t.startsWith(s, at));
      if (pre >= 0) {
        value = pre - PRE_SUFFIXES.length;
        i = PRE_SUFFIXES[pre]?.length ?? 0;
        break;
      }
      const post = POST_SUFFIXES.findIndex((s) => t.startsWith(s, at));
      if (post >= 0) {
        value = post;
        i = POST_SUFFIXES[post]?.length ?? 0;
        break;
      }
      return { value: -1, next: Token.Invalid };
    }
    default:
      return { value: -1, next: Token.Invalid };
  }
  c.pos += i;
  let next: number;
  if (c.left === 0) next = Token.End;
  else if (nt !== Token.Invalid) next = nt;
  else next = nextToken(type, c);
  return { value, next };
}

/** Tokenises a version; never throws (a malformed tail ends the list with `end` = Invalid). */
export function tokenizeApkVersion(text: string): ApkVersion {
  const c = new Cursor(text);
  const tokens: ApkToken[] = [];
  let type: number = Token.Digit;
  while (type !== Token.End && type !== Token.Invalid) {
    const { value, next } = getToken(type, c);
    tokens.push({ type, value });
    type = next;
  }
  return { text, tokens, end: type };
}

export function parseApkVersion(text: string): ApkVersion {
  const version = tokenizeApkVersion(text);
  if (text === '') throw new InvalidVersionError('apk', text, 'empty version');
  if (version.end !== Token.End) throw new InvalidVersionError('apk', text, 'not digits[.digits][letter][_suffix[N]][-rN]');
  return version;
}

/**
 * apk_version_compare_blob: walks both token lists while types and values agree. Like apk-tools
 * it also orders malformed versions (their valid prefix), so tokenize does not reject.
 */
export function compareApkParsed(a: ApkVersion, b: ApkVersion): number {
  let k = 0;
  let at: number = Token.Digit;
  let bt: number = Token.Digit;
  let av = 0;
  let bv = 0;
  while (at === bt && at !== Token.End && at !== Token.Invalid && av === bv) {
    const ta = a.tokens[k];
    const tb = b.tokens[k];
    av = ta?.value ?? 0;
    bv = tb?.value ?? 0;
    k++;
    at = a.tokens[k]?.type ?? a.end;
    bt = b.tokens[k]?.type ?? b.end;
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (at === bt) return 0;
  // equal so far: the longer version is newer unless it goes on with a pre-release suffix
  const nextA = a.tokens[k];
  if (at === Token.Suffix && nextA && nextA.value < 0) return -1;
  const nextB = b.tokens[k];
  if (bt === Token.Suffix && nextB && nextB.value < 0) return 1;
  if (at > bt) return -1;
  if (bt > at) return 1;
  return 0;
}

export function compareApk(a: string, b: string): number {
  return compareApkParsed(tokenizeApkVersion(a), tokenizeApkVersion(b));
}

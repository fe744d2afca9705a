import { InvalidVersionError } from './errors';

/*
 * RPM `[epoch:]version[-release]`, ordered as rpm orders EVRs: epoch numerically, then version
 * and release with rpmvercmp (rpm's lib/rpmvercmp.c: alphanumeric segments, digits newer than
 * letters, `~` sorts before anything and `^` after the base version). Splitting follows
 * go-rpm-version, which Trivy uses: epoch before the first `:` (a
 * non-numeric epoch counts as 0), release after the first `-` of the rest.
 * Blanks are trimmed around the epoch only, as there.
 */

export interface RpmVersion {
  epoch: number;
  version: string;
  release: string;
}

export function parseRpmVersion(input: string): RpmVersion {
  const text = input;
  const colon = text.indexOf(':');
  let epoch = 0;
  let rest = text;
  if (colon >= 0) {
    const epochText = text.slice(0, colon).trim();
    // go-rpm-version ignores an unparsable epoch (strconv.Atoi error → 0)
    epoch = /^[+-]?[0-9]+$/.test(epochText) ? Number(epochText) : 0;
    rest = text.slice(colon + 1);
  }
  const dash = rest.indexOf('-');
  const version = dash >= 0 ? rest.slice(0, dash) : rest;
  const release = dash >= 0 ? rest.slice(dash + 1) : '';
  if (version === '') throw new InvalidVersionError('rpm', input, 'empty version');
  if (!Number.isSafeInteger(epoch)) throw new InvalidVersionError('rpm', input, 'epoch too large');
  return { epoch, version, release };
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isAlpha(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

const TILDE = 126;
const CARET = 94;

/** rpm's rpmvercmp: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isDigit(a.charCodeAt(i)) && !isAlpha(a.charCodeAt(i)) && a.charCodeAt(i) !== TILDE && a.charCodeAt(i) !== CARET) i++;
    while (j < b.length && !isDigit(b.charCodeAt(j)) && !isAlpha(b.charCodeAt(j)) && b.charCodeAt(j) !== TILDE && b.charCodeAt(j) !== CARET) j++;
    const ca = i < a.length ? a.charCodeAt(i) : NaN;
    const cb = j < b.length ? b.charCodeAt(j) : NaN;
    // `~` sorts before everything else, the end included
    if (ca === TILDE || cb === TILDE) {
      if (ca !== TILDE) return 1;
      if (cb !== TILDE) return -1;
      i++;
      j++;
      continue;
    }
    // `^` sorts after the end of the base version but before any other segment
    if (ca === CARET || cb === CARET) {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (ca !== CARET) return 1;
      if (cb !== CARET) return -1;
      i++;
      j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const numeric = isDigit(ca);
    const test = numeric ? isDigit : isAlpha;
    let ei = i;
    let ej = j;
    while (ei < a.length && test(a.charCodeAt(ei))) ei++;
    while (ej < b.length && test(b.charCodeAt(ej))) ej++;
    // a numeric segment is newer than an alphabetic one
    if (ej === j) return numeric ? 1 : -1;
    let sa = a.slice(i, ei);
    let sb = b.slice(j, ej);
    if (numeric) {
      sa = sa.replace(/^0+/, '');
      sb = sb.replace(/^0+/, '');
      if (sa.length !== sb.length) return sa.length > sb.length ? 1 : -1;
    }
    if (sa !== sb) return sa < sb ? -1 : 1;
    i = ei;
    j = ej;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export function compareRpmParsed(a: RpmVersion, b: RpmVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return rpmvercmp(a.version, b.version) || rpmvercmp(a.release, b.release);
}

export function compareRpm(a: string, b: string): number {
  return compareRpmParsed(parseRpmVersion(a), parseRpmVersion(b));
}

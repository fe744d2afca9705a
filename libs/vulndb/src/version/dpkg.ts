import { compareDigits, stripZeros } from './digits';
import { InvalidVersionError } from './errors';

/*
 * Debian package versions, ordered as dpkg orders them (deb-version(7), dpkg's verrevcmp):
 * `[epoch:]upstream[-revision]`; each part alternates non-digit and digit runs; non-digit runs
 * compare character by character with letters before other characters and `~` before
 * everything (even the end); digit runs compare numerically.
 */

export interface DpkgVersion {
  epoch: number;
  upstream: string;
  revision: string;
  /** upstream and revision split into alternating [text, digits, text, digits, …] runs. */
  upstreamRuns: string[];
  revisionRuns: string[];
}

const UPSTREAM = /^[0-9][A-Za-z0-9.+~:-]*$/;
// dpkg allows . + ~ in revisions; go-deb-version (Trivy) also '_' (RPM-style `4.el6.x86_64`).
const REVISION = /^[A-Za-z0-9.+~_]*$/;

export function parseDpkgVersion(input: string): DpkgVersion {
  const version = input.trim();
  const fail = (reason: string): never => {
    throw new InvalidVersionError('dpkg', input, reason);
  };
  if (version === '') fail('empty version');
  let epoch = 0;
  let rest = version;
  const colon = version.indexOf(':');
  if (colon >= 0) {
    const epochText = version.slice(0, colon);
    if (!/^[0-9]+$/.test(epochText)) fail(`epoch ${JSON.stringify(epochText)} is not a non-negative number`);
    epoch = Number(epochText);
    if (!Number.isSafeInteger(epoch)) fail('epoch too large');
    rest = version.slice(colon + 1);
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : '';
  if (upstream === '') fail('empty upstream version');
  if (!UPSTREAM.test(upstream)) fail('upstream version must start with a digit and hold only letters, digits and . + ~ - :');
  if (!REVISION.test(revision)) fail('revision may hold only letters, digits and . + ~ _');
  return { epoch, upstream, revision, upstreamRuns: splitRuns(upstream), revisionRuns: splitRuns(revision) };
}

/** `1.2~rc1` → ['', '1', '.', '2', '~rc', '1']: even indexes are text runs, odd are digit runs (zeros stripped). */
export function splitRuns(part: string): string[] {
  const runs: string[] = [];
  let i = 0;
  while (i < part.length) {
    let j = i;
    while (j < part.length && !isDigit(part.charCodeAt(j))) j++;
    runs.push(part.slice(i, j));
    i = j;
    while (j < part.length && isDigit(part.charCodeAt(j))) j++;
    // a text run is followed by a digit run unless the part ends (missing runs compare as 0)
    if (j > i) runs.push(stripZeros(part.slice(i, j)));
    i = j;
  }
  return runs;
}

/** `[epoch:]upstream[-revision]`, the epoch and revision only when set. */
export function formatDpkgVersion(v: { epoch?: number; upstream: string; revision?: string }): string {
  return `${v.epoch ? `${v.epoch}:` : ''}${v.upstream}${v.revision ? `-${v.revision}` : ''}`;
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function isLetter(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}

/** dpkg's order(): the weight of one character of a non-digit run (NaN = end of run). */
export function dpkgCharOrder(code: number): number {
  if (Number.isNaN(code) || isDigit(code)) return 0;
  if (isLetter(code)) return code;
  if (code === 126) return -1; // '~'
  return code + 256;
}

/** Compares two non-digit runs as dpkg does. */
export function compareDpkgText(a: string, b: string): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const diff = dpkgCharOrder(a.charCodeAt(i)) - dpkgCharOrder(b.charCodeAt(i));
    if (diff !== 0) return diff < 0 ? -1 : 1;
  }
  return 0;
}

function compareRuns(a: readonly string[], b: readonly string[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    // a missing run is an empty text run or a zero digit run
    const left = a[i] ?? (i % 2 ? '0' : '');
    const right = b[i] ?? (i % 2 ? '0' : '');
    const result = i % 2 ? compareDigits(left, right) : compareDpkgText(left, right);
    if (result !== 0) return result;
  }
  return 0;
}

export function compareDpkgParsed(a: DpkgVersion, b: DpkgVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return compareRuns(a.upstreamRuns, b.upstreamRuns) || compareRuns(a.revisionRuns, b.revisionRuns);
}

export function compareDpkg(a: string, b: string): number {
  return compareDpkgParsed(parseDpkgVersion(a), parseDpkgVersion(b));
}

import { InvalidVersionError } from './errors';

/*
 * Composer (Packagist) versions: normalised as Composer's VersionParser::normalize does for
 * numbered versions (`v1.2` → `1.2.0.0`, stability suffixes `-beta2`, `-RC1`, `-patch1`,
 * `-dev`), then ordered by PHP's version_compare, which Composer uses. Branch versions
 * (`dev-main`) name no point in the order and are rejected.
 */

export interface ComposerVersion {
  text: string;
  /** version_compare's canonical parts: numbers and special forms. */
  parts: string[];
}

const NUMBERED = /^v?(\d{1,5}|\d{4}(?:[.:-]?\d{2}){1,6})(\.\d+)?(\.\d+)?(\.\d+)?(?:[._-]?(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?$/i;
const STABILITY: Readonly<Record<string, string>> = { stable: '', beta: 'beta', b: 'beta', rc: 'RC', alpha: 'alpha', a: 'alpha', patch: 'patch', pl: 'patch', p: 'patch' };

export function normalizeComposerVersion(text: string): string {
  const match = NUMBERED.exec(text.trim());
  if (!match) throw new InvalidVersionError('composer', text, 'not a numbered Composer version (branch versions such as dev-main have no order)');
  const [, major = '0', minor, patch, build, modifier, modifierNumber, dev] = match;
  const numbers = [major, minor?.slice(1) ?? '0', patch?.slice(1) ?? '0', build?.slice(1) ?? '0'].join('.');
  const stability = modifier ? STABILITY[modifier.toLowerCase()] : '';
  let normalized = numbers;
  if (stability) normalized += `-${stability}${(modifierNumber ?? '').replace(/^[.-]/, '')}`;
  if (dev) normalized += '-dev';
  return normalized;
}

/** PHP's php_canonicalize_version: `-_+` become `.`, and a `.` goes between letter/digit runs. */
function canonicalParts(version: string): string[] {
  let out = '';
  let previous = '';
  for (const ch of version) {
    const kind = /[0-9]/.test(ch) ? 'digit' : /[-_+.]/.test(ch) ? 'sep' : 'alpha';
    if (kind === 'sep') {
      if (out !== '' && !out.endsWith('.')) out += '.';
    } else {
      if (previous && previous !== 'sep' && previous !== kind && !out.endsWith('.')) out += '.';
      out += ch;
    }
    previous = kind;
  }
  return out.split('.').filter((p) => p !== '');
}

const SPECIAL_FORMS: [string, number][] = [
  ['dev', 0],
  ['alpha', 1],
  ['a', 1],
  ['beta', 2],
  ['b', 2],
  ['RC', 3],
  ['rc', 3],
  ['#', 4],
  ['pl', 5],
  ['p', 5],
];

function specialOrder(form: string): number {
  for (const [name, order] of SPECIAL_FORMS) if (form.startsWith(name)) return order;
  return -6;
}

function isNumber(part: string): boolean {
  return /^[0-9]/.test(part);
}

function comparePart(a: string, b: string): number {
  if (isNumber(a) && isNumber(b)) {
    const diff = Number(a) - Number(b);
    return diff < 0 ? -1 : diff > 0 ? 1 : 0;
  }
  const l = isNumber(a) ? '#' : a;
  const r = isNumber(b) ? '#' : b;
  return Math.sign(specialOrder(l) - specialOrder(r));
}

export function parseComposerVersion(text: string): ComposerVersion {
  return { text, parts: canonicalParts(normalizeComposerVersion(text)) };
}

export function compareComposerParsed(a: ComposerVersion, b: ComposerVersion): number {
  const length = Math.max(a.parts.length, b.parts.length);
  for (let i = 0; i < length; i++) {
    const l = a.parts[i];
    const r = b.parts[i];
    let result: number;
    if (l === undefined) result = isNumber(r as string) ? -1 : comparePart('#', r as string);
    else if (r === undefined) result = isNumber(l) ? 1 : comparePart(l, '#');
    else result = comparePart(l, r);
    if (result !== 0) return result;
  }
  return 0;
}

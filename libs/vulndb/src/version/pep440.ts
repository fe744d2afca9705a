import { parse, type Pep440Version } from '@renovatebot/pep440';
import { InvalidVersionError } from './errors';

/*
 * Python versions (PEP 440), parsed by @renovatebot/pep440 (a port of pypa/packaging). The
 * library compares strings and re-parses on every call; the matcher compares one installed
 * version against many bounds, so the sort key of packaging's `_cmpkey` is built once per
 * version here and compared without parsing again.
 */

type KeyPart = number | string | KeyPart[];

export interface Pep440Parsed {
  text: string;
  version: Pep440Version;
  key: KeyPart[];
  /** The key without the local label (packaging's `Version(v.public)`). */
  publicKey: KeyPart[];
  /** The key of epoch and release only (packaging's `Version(v.base_version)`). */
  baseKey: KeyPart[];
  isPrerelease: boolean;
  isPostrelease: boolean;
  hasLocal: boolean;
}

export function parsePep440Version(text: string): Pep440Parsed {
  const version = parse(text.trim());
  if (!version) throw new InvalidVersionError('pep440', text, 'not a PEP 440 version');
  const key = cmpKey(version);
  return {
    text,
    version,
    key,
    publicKey: [...key.slice(0, 5), -Infinity],
    baseKey: [key[0] as KeyPart, key[1] as KeyPart, Infinity, -Infinity, Infinity, -Infinity],
    isPrerelease: present(version.pre) || present(version.dev),
    isPostrelease: present(version.post),
    hasLocal: Boolean(version.local),
  };
}

function present(part: (string | number)[] | null | undefined): part is (string | number)[] {
  return Array.isArray(part) && part.length > 0;
}

/** packaging.version._cmpkey: (epoch, release without trailing zeros, pre, post, dev, local). */
function cmpKey(v: Pep440Version): KeyPart[] {
  const release = [...v.release];
  while (release.length > 0 && release[release.length - 1] === 0) release.pop();
  const hasPre = present(v.pre);
  const hasPost = present(v.post);
  const hasDev = present(v.dev);
  // 1.0.dev0 sorts before 1.0a0: a dev release without pre or post takes the lowest pre slot
  const pre: KeyPart = !hasPre && !hasPost && hasDev ? -Infinity : hasPre ? (v.pre as KeyPart[]) : Infinity;
  const post: KeyPart = hasPost ? (v.post as KeyPart[]) : -Infinity;
  const dev: KeyPart = hasDev ? (v.dev as KeyPart[]) : Infinity;
  // local segments: alphanumeric parts sort before numeric ones, numeric ones numerically
  const local: KeyPart = v.local ? localParts(v.local).map((part) => (typeof part === 'number' ? [part, ''] : [-Infinity, part])) : -Infinity;
  return [v.epoch, release, pre, post, dev, local];
}

/** The library's parse gives the local segment as a list (typed as a string). */
function localParts(local: unknown): (string | number)[] {
  if (Array.isArray(local)) return local as (string | number)[];
  return String(local)
    .split(/[._-]/)
    .map((part) => (Number.isNaN(Number(part)) ? part.toLowerCase() : Number(part)));
}

/** Python's tuple / list ordering, with ±Infinity as packaging's Infinity objects. */
function compareKey(a: KeyPart, b: KeyPart): number {
  if (a === b) return 0;
  if (Array.isArray(a) !== Array.isArray(b)) {
    return compareKey(Array.isArray(a) ? a : [a], Array.isArray(b) ? b : [b]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const length = Math.min(a.length, b.length);
    for (let i = 0; i < length; i++) {
      const result = compareKey(a[i] as KeyPart, b[i] as KeyPart);
      if (result !== 0) return result;
    }
    return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
  }
  if (a === -Infinity || b === Infinity) return -1;
  if (a === Infinity || b === -Infinity) return 1;
  return a < b ? -1 : 1;
}

export function comparePep440Parsed(a: Pep440Parsed, b: Pep440Parsed): number {
  return compareKey(a.key, b.key);
}

/** Compares the public versions (local labels dropped). */
export function comparePep440Public(a: Pep440Parsed, b: Pep440Parsed): number {
  return compareKey(a.publicKey, b.publicKey);
}

/** Whether two versions have the same epoch and release (pre, post, dev and local aside). */
export function samePep440Base(a: Pep440Parsed, b: Pep440Parsed): boolean {
  return compareKey(a.baseKey, b.baseKey) === 0;
}

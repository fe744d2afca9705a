import type { VersionScheme } from '../ecosystem';
import { compareApkParsed, parseApkVersion } from './apk';
import { compareComposerParsed, parseComposerVersion } from './composer';
import { compareDpkgParsed, parseDpkgVersion } from './dpkg';
import { InvalidVersionError } from './errors';
import { compareMavenParsed, parseMavenVersion } from './maven';
import { comparePep440Parsed, parsePep440Version } from './pep440';
import { compareRpmParsed, parseRpmVersion } from './rpm';
import { compareRubyGemsParsed, parseRubyGemsVersion } from './rubygems';
import { compareSemverParsed, parseCargoVersion, parseGoVersion, parseNpmVersion } from './semver-schemes';

/**
 * One version ordering: `parse` once (throws InvalidVersionError), then `compare` parsed values
 * as often as needed. The matcher parses each installed version and each range bound once and
 * compares parsed values only.
 */
export interface VersionOrdering<P = unknown> {
  scheme: VersionScheme;
  parse(version: string): P;
  compare(a: P, b: P): number;
}

/** Erases the parsed type: values of one ordering only ever meet that ordering's compare. */
function ordering<P>(scheme: VersionScheme, parse: (v: string) => P, compare: (a: P, b: P) => number): VersionOrdering {
  return { scheme, parse, compare: compare as (a: unknown, b: unknown) => number };
}

const ORDERINGS: Readonly<Record<VersionScheme, VersionOrdering>> = {
  dpkg: ordering('dpkg', parseDpkgVersion, compareDpkgParsed),
  apk: ordering('apk', parseApkVersion, compareApkParsed),
  rpm: ordering('rpm', parseRpmVersion, compareRpmParsed),
  npm: ordering('npm', parseNpmVersion, compareSemverParsed),
  pep440: ordering('pep440', parsePep440Version, comparePep440Parsed),
  maven: ordering('maven', parseMavenVersion, compareMavenParsed),
  go: ordering('go', parseGoVersion, compareSemverParsed),
  cargo: ordering('cargo', parseCargoVersion, compareSemverParsed),
  rubygems: ordering('rubygems', parseRubyGemsVersion, compareRubyGemsParsed),
  composer: ordering('composer', parseComposerVersion, compareComposerParsed),
};

export function versionOrdering(scheme: VersionScheme): VersionOrdering {
  const found: VersionOrdering | undefined = ORDERINGS[scheme];
  if (!found) throw new Error(`unknown version scheme ${JSON.stringify(scheme)}`);
  return found;
}

/** Orders two versions of one scheme: negative, 0 or positive; InvalidVersionError for either invalid. */
export function compareVersions(scheme: VersionScheme, a: string, b: string): number {
  const { parse, compare } = versionOrdering(scheme);
  return Math.sign(compare(parse(a), parse(b)));
}

export function isValidVersion(scheme: VersionScheme, version: string): boolean {
  try {
    versionOrdering(scheme).parse(version);
    return true;
  } catch (error) {
    if (error instanceof InvalidVersionError) return false;
    throw error;
  }
}

// Per-scheme comparisons of version strings, for callers that know their scheme.
export const compareDpkgVersions = (a: string, b: string): number => compareVersions('dpkg', a, b);
export const compareApkVersions = (a: string, b: string): number => compareVersions('apk', a, b);
export const compareRpmVersions = (a: string, b: string): number => compareVersions('rpm', a, b);
export const compareNpmVersions = (a: string, b: string): number => compareVersions('npm', a, b);
export const comparePep440Versions = (a: string, b: string): number => compareVersions('pep440', a, b);
export const compareMavenVersions = (a: string, b: string): number => compareVersions('maven', a, b);
export const compareGoVersions = (a: string, b: string): number => compareVersions('go', a, b);
export const compareCargoVersions = (a: string, b: string): number => compareVersions('cargo', a, b);
export const compareRubyGemsVersions = (a: string, b: string): number => compareVersions('rubygems', a, b);
export const compareComposerVersions = (a: string, b: string): number => compareVersions('composer', a, b);

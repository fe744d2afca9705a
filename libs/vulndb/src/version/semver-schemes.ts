import { SemVer } from 'semver';
import type { VersionScheme } from '../ecosystem';
import { InvalidVersionError } from './errors';

/*
 * The SemVer 2.0 schemes, ordered by node-semver (build metadata ignored, pre-releases before
 * their release): npm as npm does; Cargo (crates.io is strict SemVer); Go module versions, which
 * are SemVer with a `v` prefix (pseudo-versions `v0.0.0-20191109021931-daa7c04131f5` are
 * pre-releases of the next version and so sort by their timestamp, `+incompatible` is build
 * metadata) and may be written without it in OSV.
 */

export function parseNpmVersion(text: string): SemVer {
  return parseSemver('npm', text, text.trim());
}

export function parseCargoVersion(text: string): SemVer {
  return parseSemver('cargo', text, text.trim());
}

/** `v1.2.3`, `1.2.3`, and Go's shorthands `v1` / `v1.2` (golang.org/x/mod/semver treats them as v1.0.0 / v1.2.0). */
export function parseGoVersion(text: string): SemVer {
  let body = text.trim();
  if (body.startsWith('v')) body = body.slice(1);
  const shorthand = /^(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?$/.exec(body);
  if (shorthand) body = `${shorthand[1] ?? '0'}.${shorthand[2] ?? '0'}.0`;
  return parseSemver('go', text, body);
}

function parseSemver(scheme: VersionScheme, original: string, text: string): SemVer {
  if (text === '') throw new InvalidVersionError(scheme, original, 'empty version');
  try {
    return new SemVer(text);
  } catch {
    throw new InvalidVersionError(scheme, original, 'not a SemVer 2.0 version (MAJOR.MINOR.PATCH[-pre][+build])');
  }
}

export function compareSemverParsed(a: SemVer, b: SemVer): number {
  return a.compare(b);
}

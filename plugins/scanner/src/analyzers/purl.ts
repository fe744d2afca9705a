import { PackageURL } from 'packageurl-js';

/**
 * A package URL (purl-spec), built and encoded by packageurl-js. Qualifiers without a value are
 * dropped; packageurl-js sorts the rest by key.
 *
 * One deviation from packageurl-js 2.0.1: it writes a `+` in the version as is, while the purl
 * spec (character encoding, since 2025) says `+` must be percent-encoded everywhere but the type,
 * and Trivy (packageurl-go) writes `%2B`. Debian versions are full of `+` (`12.4+deb12u5`), and a
 * purl is part of a package's identity, so we keep the spec's form: packageurl-js encodes `+` as
 * `%2B` in every other component already, which leaves the version's `+` the only one to encode.
 */
export function packageUrl(type: string, namespace: string | undefined, name: string, version: string | undefined, qualifiers: Record<string, string | undefined> = {}): string {
  const present = Object.fromEntries(Object.entries(qualifiers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== ''));
  if (type === 'golang' && version !== undefined) {
    // packageurl-js 2.0.1 checks that a golang version starting with "v" is semver, and that
    // check throws a ReferenceError (its validator reads an undeclared `throws`) for one that is
    // not. Go toolchains do report such versions (stdlib `v1.25-20250209-RC00` from a
    // `go1.25-20250209-RC00` build), and Trivy writes them as they are: the version is set after
    // the checks, and encoded by toString() like any other.
    const purl = new PackageURL(type, namespace, name, undefined, present);
    purl.version = version;
    return purl.toString().replace(/\+/g, '%2B');
  }
  return new PackageURL(type, namespace, name, version, present).toString().replace(/\+/g, '%2B');
}

/**
 * The purl with one qualifier left out (e.g. `distro`, to compare packages across OS releases).
 * A purl that does not parse (an outside analyzer's) is returned as it is: it has no qualifier
 * we could recognise, and the result is only used to compare packages.
 */
export function purlWithoutQualifier(purl: string, qualifier: string): string {
  let parsed: PackageURL;
  try {
    parsed = PackageURL.fromString(purl);
  } catch {
    return purl;
  }
  const rest = Object.fromEntries(Object.entries(parsed.qualifiers ?? {}).filter(([key]) => key !== qualifier));
  return packageUrl(parsed.type, parsed.namespace, parsed.name, parsed.version, rest);
}

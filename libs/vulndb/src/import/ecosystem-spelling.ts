import { baseEcosystem } from '../ecosystem';

/*
 * OSV ecosystem names as OSV spells them (https://ossf.github.io/osv-schema/#affectedpackage-field).
 * Records from osv.dev already use these; converted or hand-written records sometimes do not
 * (`pypi`, `Alpine:3.18`, `Debian:bookworm`), and a misspelled ecosystem would silently never
 * match. Unknown ecosystems are kept as given: they are stored, and match nothing.
 */
const OSV_ECOSYSTEMS = [
  'AlmaLinux',
  'Alpine',
  'Android',
  'Azure Linux',
  'Bioconductor',
  'Bitnami',
  'Chainguard',
  'ConanCenter',
  'CRAN',
  'crates.io',
  'Debian',
  'GHC',
  'GitHub Actions',
  'Go',
  'Hackage',
  'Hex',
  'Linux',
  'Mageia',
  'Mariner',
  'Maven',
  'MinimOS',
  'npm',
  'NuGet',
  'openEuler',
  'openSUSE',
  'OSS-Fuzz',
  'Packagist',
  'Photon OS',
  'Pub',
  'PyPI',
  'Red Hat',
  'Rocky Linux',
  'RubyGems',
  'SUSE',
  'SwiftURL',
  'Ubuntu',
  'Wolfi',
];
const CANONICAL = new Map(OSV_ECOSYSTEMS.map((name) => [name.toLowerCase(), name]));

/** Debian release codenames to the major version OSV uses (`Debian:12`). */
export const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
};
const CODENAME_BY_MAJOR = new Map(Object.entries(DEBIAN_CODENAMES).map(([codename, major]) => [major, codename]));

/** The codename of a `Debian:<major>` ecosystem (`Debian:12` → `bookworm`). */
export function debianCodename(ecosystem: string): string | undefined {
  return baseEcosystem(ecosystem) === 'Debian' ? CODENAME_BY_MAJOR.get(ecosystem.slice('Debian:'.length)) : undefined;
}

/** An ecosystem as OSV spells it: canonical case, `Alpine:v3.18`, `Debian:12`. */
export function osvEcosystem(raw: string): string {
  const trimmed = raw.trim();
  const base = baseEcosystem(trimmed);
  const canonical = CANONICAL.get(base.toLowerCase()) ?? base;
  if (base.length === trimmed.length) return canonical;
  let release = trimmed.slice(base.length + 1);
  if (canonical === 'Alpine' && /^\d/.test(release)) release = `v${release}`;
  if (canonical === 'Debian') release = DEBIAN_CODENAMES[release.toLowerCase()] ?? release;
  return `${canonical}:${release}`;
}

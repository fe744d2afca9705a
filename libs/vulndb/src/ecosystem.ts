import type { OsInfo } from '@bulkhead/plugin-sdk';
import type { MatchablePackage } from './model';

/**
 * The version orderings Bulkhead knows; `version/` exports one comparison per scheme
 * (`compareVersions(scheme, a, b)`).
 */
export const VERSION_SCHEMES = ['dpkg', 'apk', 'rpm', 'npm', 'pep440', 'maven', 'go', 'cargo', 'rubygems', 'composer'] as const;
export type VersionScheme = (typeof VERSION_SCHEMES)[number];

/** OSV ecosystem (the part before any `:release`) to its version ordering. */
const SCHEME_BY_ECOSYSTEM: Readonly<Record<string, VersionScheme>> = {
  Debian: 'dpkg',
  Ubuntu: 'dpkg',
  Alpine: 'apk',
  'Rocky Linux': 'rpm',
  AlmaLinux: 'rpm',
  'Red Hat': 'rpm',
  SUSE: 'rpm',
  openSUSE: 'rpm',
  Mariner: 'rpm',
  npm: 'npm',
  PyPI: 'pep440',
  Maven: 'maven',
  Go: 'go',
  'crates.io': 'cargo',
  RubyGems: 'rubygems',
  Packagist: 'composer',
};

/** `Debian:12` → `Debian`; `npm` → `npm`. */
export function baseEcosystem(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

/** The version ordering of an OSV ecosystem, or undefined for one Bulkhead cannot order. */
export function versionSchemeOf(ecosystem: string): VersionScheme | undefined {
  return SCHEME_BY_ECOSYSTEM[baseEcosystem(ecosystem)];
}

/** Language package types (purl types) to their OSV ecosystem. */
const LANGUAGE_ECOSYSTEMS: Readonly<Record<string, string>> = {
  npm: 'npm',
  pypi: 'PyPI',
  maven: 'Maven',
  golang: 'Go',
  cargo: 'crates.io',
  gem: 'RubyGems',
  composer: 'Packagist',
};

/** os-release `ID` to OSV's distribution ecosystem name, for rpm-based distributions. */
const RPM_DISTROS: Readonly<Record<string, string>> = {
  rocky: 'Rocky Linux',
  almalinux: 'AlmaLinux',
  rhel: 'Red Hat',
  sles: 'SUSE',
  'opensuse-leap': 'openSUSE',
  mariner: 'Mariner',
  azurelinux: 'Mariner',
};

/**
 * PEP 503 name normalisation for PyPI (`Django`, `django_rest` → `django`, `django-rest`);
 * other ecosystems' names are compared as given (npm and Maven are case-sensitive).
 */
export function normalizePackageName(ecosystem: string, name: string): string {
  return baseEcosystem(ecosystem) === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name;
}

/** The distribution's ecosystem (`Debian:12`, `Alpine:v3.19`), or undefined when unsupported. */
export function distroEcosystem(os: OsInfo | undefined): string | undefined {
  if (!os) return undefined;
  const [major = '', minor] = os.version.split('.');
  switch (os.family) {
    case 'debian':
      return major ? `Debian:${major}` : undefined;
    case 'ubuntu':
      return minor !== undefined ? `Ubuntu:${major}.${minor}` : undefined;
    case 'alpine':
      return minor !== undefined ? `Alpine:v${major}.${minor}` : undefined;
    default: {
      const name = RPM_DISTROS[os.family];
      return name && major ? `${name}:${major}` : undefined;
    }
  }
}

/** What the matcher needs of an inventoried package (a subset of the SDK's PackageResult). */
export interface InventoryPackage {
  type: string;
  name: string;
  version: string;
  sourceName?: string;
  sourceVersion?: string;
}

/**
 * Maps an inventoried package to the ecosystem, name and version advisories use, or undefined
 * when no advisory source covers it. Distribution packages are matched as the distributions
 * publish advisories: Debian and Ubuntu by *source* package and source version (as Trivy does),
 * Alpine by origin package (`sourceName`) and the installed version, rpm by binary package name
 * and `[epoch:]version-release` (as Trivy's Red Hat-family detectors do).
 */
export function matchablePackage(ref: string, pkg: InventoryPackage, os: OsInfo | undefined): MatchablePackage | undefined {
  const language = LANGUAGE_ECOSYSTEMS[pkg.type];
  if (language) return { ref, ecosystem: language, name: normalizePackageName(language, pkg.name), version: pkg.version };
  const distro = distroEcosystem(os);
  if (!distro) return undefined;
  switch (pkg.type) {
    case 'deb':
      return { ref, ecosystem: distro, name: pkg.sourceName ?? pkg.name, version: pkg.sourceVersion ?? pkg.version };
    case 'apk':
      return { ref, ecosystem: distro, name: pkg.sourceName ?? pkg.name, version: pkg.version };
    case 'rpm':
      return { ref, ecosystem: distro, name: pkg.name, version: pkg.version };
    default:
      return undefined;
  }
}

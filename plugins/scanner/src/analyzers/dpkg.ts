import type { Analyzer, AnalyzerFile, OsInfo, PackageResult } from '@bulkhead/plugin-sdk';
import { parseStanzas, type Stanza } from './control-file';
import { isValidDebianVersion } from './debian-version';
import { packageUrl } from './purl';

const STATUS = 'var/lib/dpkg/status';
const STATUS_D = 'var/lib/dpkg/status.d/';

/** A dpkg package record before it becomes a PackageResult. */
export interface DpkgPackage {
  name: string;
  version: string;
  sourceName: string;
  sourceVersion: string;
  architecture?: string;
  maintainer?: string;
}

/**
 * Parses a dpkg status file (or one distroless `status.d/<name>` file). Keeps packages that are
 * installed (`Status: ... installed`; distroless stanzas have no Status and are all installed),
 * have a name and a version valid per deb-version(7). `Source: name (version)` gives the source
 * version when it differs from the binary's (binNMUs); otherwise the source version is the
 * package version.
 */
export function parseDpkgStatus(text: string): DpkgPackage[] {
  return parseStanzas(text).flatMap((stanza) => {
    const pkg = toPackage(stanza);
    return pkg ? [pkg] : [];
  });
}

function toPackage(stanza: Stanza): DpkgPackage | undefined {
  const name = stanza.get('package');
  const version = stanza.get('version');
  if (!name || !version || !isValidDebianVersion(version)) return undefined;
  const status = stanza.get('status');
  if (status !== undefined && status.split(/\s+/)[2] !== 'installed') return undefined;
  const source = /^(\S+)(?:\s+\((\S+)\))?$/.exec(stanza.get('source') ?? '');
  const sourceVersion = source?.[2] ?? version;
  return {
    name,
    version,
    sourceName: source?.[1] ?? name,
    sourceVersion: isValidDebianVersion(sourceVersion) ? sourceVersion : version,
    architecture: stanza.get('architecture'),
    maintainer: stanza.get('maintainer'),
  };
}

/** purl namespace and distro qualifier from the detected OS (`debian`, `debian-12`). */
function debDistro(os: OsInfo | undefined): { namespace: string; distro?: string } {
  if (!os) return { namespace: 'debian' };
  return { namespace: os.family, distro: `${os.family}-${os.version}` };
}

export function dpkgPackageResult(pkg: DpkgPackage, os: OsInfo | undefined, file: AnalyzerFile): PackageResult {
  const { namespace, distro } = debDistro(os);
  return {
    type: 'deb',
    name: pkg.name,
    version: pkg.version,
    sourceName: pkg.sourceName,
    sourceVersion: pkg.sourceVersion,
    purl: packageUrl('deb', namespace, pkg.name.toLowerCase(), pkg.version, { arch: pkg.architecture, distro }),
    ...(file.layer ? { layer: file.layer } : {}),
    metadata: { ...(pkg.architecture ? { arch: pkg.architecture } : {}), ...(pkg.maintainer ? { maintainer: pkg.maintainer } : {}), file: file.path },
  };
}

export const dpkgAnalyzer: Analyzer = {
  id: 'dpkg',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 64 * 1024 * 1024,
  wants: (path) => path === STATUS || (path.startsWith(STATUS_D) && !path.endsWith('.md5sums') && path.indexOf('/', STATUS_D.length) < 0),
  analyze(files, ctx) {
    const seen = new Set<string>();
    const packages: PackageResult[] = [];
    // status first, then status.d files in path order: a package in both is reported once.
    const ordered = [...files].sort((a, b) => (a.path === STATUS ? -1 : b.path === STATUS ? 1 : a.path < b.path ? -1 : 1));
    for (const file of ordered) {
      for (const pkg of parseDpkgStatus(file.content.toString('utf8'))) {
        const key = `${pkg.name}\u0000${pkg.architecture ?? ''}\u0000${pkg.version}`;
        if (seen.has(key)) continue;
        seen.add(key);
        packages.push(dpkgPackageResult(pkg, ctx.os, file));
      }
    }
    return { packages };
  },
};

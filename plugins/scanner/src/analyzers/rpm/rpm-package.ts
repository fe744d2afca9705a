import type { AnalyzerFile, OsInfo, PackageResult } from '@bulkhead/plugin-sdk';
import { packageUrl } from '../purl';

/** An installed rpm as the analyzers report it (from a database header or an rpm -qa manifest). */
export interface RpmPackage {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  arch?: string;
  sourceName?: string;
  sourceVersion?: string;
  sourceRelease?: string;
  license?: string;
  vendor?: string;
  modularityLabel?: string;
  sigMd5?: string;
}

/** rpm's EVR as one string: `[epoch:]version-release` (epoch 0 and no epoch both print none). */
export function rpmEvr(epoch: number | undefined, version: string, release: string | undefined): string {
  return `${epoch ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

/**
 * Splits a source rpm file name into name, version and release:
 * `util-linux-2.32.1-42.el8_8.src.rpm` → util-linux, 2.32.1, 42.el8_8 (yum's splitFilename, which
 * Trivy uses). Undefined when the name does not have that shape.
 */
export function splitSourceRpm(fileName: string): { name: string; version: string; release: string } | undefined {
  const base = fileName.endsWith('.rpm') ? fileName.slice(0, -4) : fileName;
  const archAt = base.lastIndexOf('.');
  if (archAt < 0) return undefined;
  const relAt = base.lastIndexOf('-', archAt - 1);
  if (relAt < 0) return undefined;
  const verAt = base.lastIndexOf('-', relAt - 1);
  if (verAt <= 0) return undefined;
  return { name: base.slice(0, verAt), version: base.slice(verAt + 1, relAt), release: base.slice(relAt + 1, archAt) };
}

/**
 * The source package of a binary one. rpm does not record the source's epoch in SOURCERPM; as
 * Trivy does, the binary's epoch stands in for it. A missing or malformed SOURCERPM (gpg-pubkey)
 * leaves the binary itself as its source.
 */
export function withSource(pkg: RpmPackage, sourceRpm: string | undefined): RpmPackage {
  const source = sourceRpm ? splitSourceRpm(sourceRpm) : undefined;
  return source ? { ...pkg, sourceName: source.name, sourceVersion: source.version, sourceRelease: source.release } : pkg;
}

/**
 * The SDK package: version `[epoch:]version-release` (what rpm advisories and the rpm ordering
 * compare), purl per purl-spec (version-release in the version, epoch and arch as qualifiers,
 * the distribution as namespace and `distro` qualifier).
 */
export function rpmPackageResult(pkg: RpmPackage, os: OsInfo | undefined, file: AnalyzerFile): PackageResult {
  const version = rpmEvr(pkg.epoch, pkg.version, pkg.release);
  const sourceVersion = pkg.sourceName ? rpmEvr(pkg.epoch, pkg.sourceVersion ?? pkg.version, pkg.sourceRelease) : version;
  return {
    type: 'rpm',
    name: pkg.name,
    version,
    sourceName: pkg.sourceName ?? pkg.name,
    sourceVersion,
    purl: packageUrl('rpm', os?.family, pkg.name, rpmEvr(undefined, pkg.version, pkg.release), {
      arch: pkg.arch,
      epoch: pkg.epoch ? String(pkg.epoch) : undefined,
      distro: os ? `${os.family}-${os.version}` : undefined,
    }),
    path: file.path,
    ...(file.layer ? { layer: file.layer } : {}),
    metadata: {
      ...(pkg.arch ? { arch: pkg.arch } : {}),
      ...(pkg.epoch !== undefined ? { epoch: pkg.epoch } : {}),
      ...(pkg.license ? { license: pkg.license } : {}),
      ...(pkg.vendor ? { vendor: pkg.vendor } : {}),
      ...(pkg.modularityLabel ? { modularityLabel: pkg.modularityLabel } : {}),
      ...(pkg.sigMd5 ? { sigMd5: pkg.sigMd5 } : {}),
      file: file.path,
    },
  };
}

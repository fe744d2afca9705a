import type { Analyzer, AnalyzerFile, OsInfo, PackageResult } from '@bulkhead/plugin-sdk';
import { packageUrl } from './purl';

const INSTALLED = 'lib/apk/db/installed';

export interface ApkPackage {
  name: string;
  version: string;
  /** `o:` origin: the source (aport) the package was built from. */
  origin: string;
  architecture?: string;
  license?: string;
  maintainer?: string;
}

/**
 * Parses apk's installed database (`lib/apk/db/installed`): one `X:value` line per field, records
 * separated by blank lines. Records without a name or version are dropped (apk writes none;
 * a truncated database can).
 */
export function parseApkInstalled(text: string): ApkPackage[] {
  const packages: ApkPackage[] = [];
  let record: Record<string, string> = {};
  const flush = (): void => {
    const name = record['P'];
    const version = record['V'];
    if (name && version) {
      packages.push({
        name,
        version,
        origin: record['o'] || name,
        ...(record['A'] ? { architecture: record['A'] } : {}),
        ...(record['L'] ? { license: record['L'] } : {}),
        ...(record['m'] ? { maintainer: record['m'] } : {}),
      });
    }
    record = {};
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') {
      flush();
      continue;
    }
    const key = line[0];
    if (key === undefined || line[1] !== ':') continue;
    // Only the first occurrence: file lines (R:, Z:, a:) repeat but are not package fields.
    if (!(key in record)) record[key] = line.slice(2);
  }
  flush();
  return packages;
}

export function apkPackageResult(pkg: ApkPackage, os: OsInfo | undefined, file: AnalyzerFile): PackageResult {
  return {
    type: 'apk',
    name: pkg.name,
    version: pkg.version,
    sourceName: pkg.origin,
    sourceVersion: pkg.version,
    purl: packageUrl('apk', os?.family ?? 'alpine', pkg.name.toLowerCase(), pkg.version, { arch: pkg.architecture, distro: os ? `${os.family}-${os.version}` : undefined }),
    ...(file.layer ? { layer: file.layer } : {}),
    metadata: {
      ...(pkg.architecture ? { arch: pkg.architecture } : {}),
      ...(pkg.license ? { license: pkg.license } : {}),
      ...(pkg.maintainer ? { maintainer: pkg.maintainer } : {}),
      file: file.path,
    },
  };
}

export const apkAnalyzer: Analyzer = {
  id: 'apk',
  version: '1.0.0',
  stage: 'packages',
  maxFileSize: 64 * 1024 * 1024,
  wants: (path) => path === INSTALLED,
  analyze(files, ctx) {
    return { packages: files.flatMap((file) => parseApkInstalled(file.content.toString('utf8')).map((pkg) => apkPackageResult(pkg, ctx.os, file))) };
  },
};

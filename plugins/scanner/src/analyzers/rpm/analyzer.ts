import { BadInputError, type Analyzer, type PackageResult } from '@bulkhead/plugin-sdk';
import { berkeleyDbBlobs, isBerkeleyDb } from './bdb';
import { parseRpmHeader } from './header';
import { isNdb, ndbBlobs } from './ndb';
import { withSource, rpmPackageResult, type RpmPackage } from './rpm-package';
import { isSqlite, sqliteBlobs } from './sqlite';

/**
 * Where rpm keeps its database, newest layout first: when an image holds more than one (Fedora
 * links var/lib/rpm to usr/lib/sysimage/rpm; a migrated system may keep its old BerkeleyDB
 * file), a package is reported from the first file in this order that lists it.
 */
export const RPM_DATABASES = [
  'usr/lib/sysimage/rpm/rpmdb.sqlite',
  'var/lib/rpm/rpmdb.sqlite',
  'usr/lib/sysimage/rpm/Packages.db',
  'var/lib/rpm/Packages.db',
  'usr/lib/sysimage/rpm/Packages',
  'var/lib/rpm/Packages',
] as const;
const WANTED = new Set<string>(RPM_DATABASES);

/** The header blobs of an rpm database of any of the three formats, told apart by their magic. */
export function rpmDatabaseBlobs(data: Buffer, where: string): Iterable<Buffer> {
  if (isSqlite(data)) return sqliteBlobs(data, where);
  if (isNdb(data)) return ndbBlobs(data, where);
  if (isBerkeleyDb(data)) return berkeleyDbBlobs(data, where);
  throw new BadInputError(`${where}: not an rpm database (neither SQLite, NDB nor BerkeleyDB Hash)`);
}

/** Every installed package of an rpm database, in database order. */
export function parseRpmDatabase(data: Buffer, where: string): RpmPackage[] {
  const packages: RpmPackage[] = [];
  let index = 0;
  for (const blob of rpmDatabaseBlobs(data, where)) {
    const header = parseRpmHeader(blob, `${where} (package ${++index})`);
    packages.push(
      withSource(
        {
          name: header.name,
          version: header.version,
          release: header.release,
          ...(header.epoch !== undefined ? { epoch: header.epoch } : {}),
          ...(header.arch ? { arch: header.arch } : {}),
          ...(header.license ? { license: header.license } : {}),
          ...(header.vendor ? { vendor: header.vendor } : {}),
          ...(header.modularityLabel ? { modularityLabel: header.modularityLabel } : {}),
          ...(header.sigMd5 ? { sigMd5: header.sigMd5 } : {}),
        },
        header.sourceRpm,
      ),
    );
  }
  return packages;
}

export const rpmAnalyzer: Analyzer = {
  id: 'rpm',
  version: '1.0.0',
  stage: 'packages',
  // A full RHEL 7 BerkeleyDB is ~100 MB; rpm itself refuses single headers over 256 MB.
  maxFileSize: 512 * 1024 * 1024,
  wants: (path) => WANTED.has(path),
  analyze(files, ctx) {
    const ordered = [...files].sort((a, b) => RPM_DATABASES.indexOf(a.path as never) - RPM_DATABASES.indexOf(b.path as never));
    const seen = new Set<string>();
    const packages: PackageResult[] = [];
    for (const file of ordered) {
      for (const pkg of parseRpmDatabase(file.content, file.path)) {
        const key = `${pkg.name}\u0000${pkg.epoch ?? ''}\u0000${pkg.version}\u0000${pkg.release}\u0000${pkg.arch ?? ''}`;
        if (seen.has(key)) continue;
        seen.add(key);
        packages.push(rpmPackageResult(pkg, ctx.os, file));
      }
    }
    return { packages };
  },
};

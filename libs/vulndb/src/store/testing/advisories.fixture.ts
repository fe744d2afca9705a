import type { Advisory, AffectedPackage, RejectedRecord } from '../../model';

/** An npm-style advisory affecting `name` below `fixed`, for store tests. */
export function npmAdvisory(id: string, name: string, fixed: string, extra: Partial<Advisory> = {}): Advisory {
  return {
    id,
    source: 'osv:test',
    aliases: [],
    summary: `${name} problem`,
    cvss: [],
    references: [],
    affected: [{ ecosystem: 'npm', name, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }], versions: [] }],
    ...extra,
  };
}

/** A Debian advisory naming several source packages of one release. */
export function debianAdvisory(id: string, packages: Record<string, string | undefined>, aliases: string[] = []): Advisory {
  const affected: AffectedPackage[] = Object.entries(packages).map(([name, fixed]) => ({
    ecosystem: 'Debian:12',
    name,
    ranges: [{ type: 'ECOSYSTEM', events: fixed ? [{ introduced: '0' }, { fixed }] : [{ introduced: '0' }] }],
    versions: [],
    ...(fixed ? {} : { status: 'affected' as const }),
  }));
  return { id, source: 'debian-tracker', aliases, cvss: [], references: [], affected };
}

export async function* stream(records: readonly (Advisory | RejectedRecord)[], failAfter?: number): AsyncIterable<Advisory | RejectedRecord> {
  let n = 0;
  for (const record of records) {
    if (failAfter !== undefined && n === failAfter) throw new Error(`reader failed after ${n} records`);
    n++;
    yield record;
  }
}

/*
 * Alias merging: the records that name one problem (CVE-X, GHSA-Y aliasing CVE-X, PYSEC-Z
 * aliasing GHSA-Y, DEBIAN-CVE-X) become one group. Ids are joined through shared ids, except
 * that a group never holds two CVE ids: a record naming several CVEs (a DSA fixing three
 * problems) joins each of those CVEs' groups instead of fusing them into one.
 */

const CVE = /^CVE-\d{4}-\d+$/;

export function isCveId(id: string): boolean {
  return id.startsWith('CVE-') && CVE.test(id);
}

export interface AliasGroup<T> {
  /** Every id of the group's records (their ids and aliases). */
  ids: Set<string>;
  /** The group's CVE id, when any record names exactly that one. */
  cve?: string;
  members: T[];
}

/**
 * Groups records through shared ids (union-find over the records, an id joining the records
 * that name it), never joining two records whose CVEs differ; records naming several CVEs join
 * each CVE's group afterwards.
 */
export function groupByAlias<T>(records: readonly T[], idsOf: (record: T) => readonly string[]): AliasGroup<T>[] {
  const simple = disjointGroups(records, idsOf);
  if (simple) return simple;
  const parent: number[] = [];
  const cveOf: (string | undefined)[] = [];
  const find = (i: number): number => {
    let root = i;
    while (parent[root] !== root) root = parent[root] as number;
    while (parent[i] !== root) {
      const next = parent[i] as number;
      parent[i] = root;
      i = next;
    }
    return root;
  };
  const owner = new Map<string, number>();
  const multi: number[] = [];
  const single: number[] = [];
  records.forEach((record, index) => {
    parent.push(index);
    const ids = idsOf(record);
    let cve: string | undefined;
    let several = false;
    for (const id of ids) {
      if (!isCveId(id)) continue;
      if (cve !== undefined && cve !== id) several = true;
      cve = cve ?? id;
    }
    cveOf.push(several ? undefined : cve);
    if (several) {
      multi.push(index);
      return;
    }
    single.push(index);
    for (const id of ids) {
      const other = owner.get(id);
      if (other === undefined) {
        owner.set(id, index);
        continue;
      }
      const ra = find(other);
      const rb = find(index);
      if (ra === rb) continue;
      const ca = cveOf[ra];
      const cb = cveOf[rb];
      if (ca && cb && ca !== cb) continue;
      parent[rb] = ra;
      cveOf[ra] = ca ?? cb;
    }
  });
  const groups = new Map<number, AliasGroup<T>>();
  const byCve = new Map<string, AliasGroup<T>>();
  for (const index of single) {
    const root = find(index);
    let group = groups.get(root);
    if (!group) {
      const cve = cveOf[root];
      group = { ids: new Set(), members: [], ...(cve ? { cve } : {}) };
      groups.set(root, group);
      if (cve) byCve.set(cve, group);
    }
    const record = records[index] as T;
    group.members.push(record);
    for (const id of idsOf(record)) group.ids.add(id);
  }
  const result = [...groups.values()];
  for (const index of multi) {
    const record = records[index] as T;
    const ids = idsOf(record);
    for (const cve of new Set(ids.filter(isCveId))) {
      let group = byCve.get(cve);
      if (!group) {
        group = { ids: new Set([cve]), members: [], cve };
        byCve.set(cve, group);
        result.push(group);
      }
      group.members.push(record);
      // the record's own non-CVE ids (DSA-…) are aliases of each problem it fixes
      for (const id of ids) if (!isCveId(id)) group.ids.add(id);
    }
  }
  return result;
}

/**
 * The common case, cheaply: no id shared between records and no record naming two CVEs, so
 * each record is its own group. Undefined when the general grouping is needed.
 */
function disjointGroups<T>(records: readonly T[], idsOf: (record: T) => readonly string[]): AliasGroup<T>[] | undefined {
  const seen = new Set<string>();
  const groups: AliasGroup<T>[] = [];
  for (const record of records) {
    const ids = idsOf(record);
    let cve: string | undefined;
    for (const id of ids) {
      if (seen.has(id)) return undefined;
      seen.add(id);
      if (isCveId(id)) {
        if (cve !== undefined) return undefined;
        cve = id;
      }
    }
    const group: AliasGroup<T> = { ids: new Set(ids), members: [record] };
    if (cve !== undefined) group.cve = cve;
    groups.push(group);
  }
  return groups;
}

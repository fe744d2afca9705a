/*
 * Alias merging: the records that name one problem (CVE-X, GHSA-Y aliasing CVE-X, PYSEC-Z
 * aliasing GHSA-Y, DEBIAN-CVE-X) become one group. Ids are joined through shared ids, except
 * that a group never holds two CVE ids: a record naming several CVEs (a DSA fixing three
 * problems) joins each of those CVEs' groups instead of fusing them into one.
 */

const CVE = /^CVE-\d{4}-\d+$/;

export function isCveId(id: string): boolean {
  return CVE.test(id);
}

export interface AliasGroup<T> {
  /** Every id of the group's records (their ids and aliases). */
  ids: Set<string>;
  /** The group's CVE id, when any record names exactly that one. */
  cve?: string;
  members: T[];
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  private readonly cve = new Map<string, string | undefined>();

  add(id: string): void {
    if (!this.parent.has(id)) {
      this.parent.set(id, id);
      this.cve.set(id, isCveId(id) ? id : undefined);
    }
  }

  find(id: string): string {
    let root = id;
    while (this.parent.get(root) !== root) root = this.parent.get(root) as string;
    // path compression
    let node = id;
    while (node !== root) {
      const next = this.parent.get(node) as string;
      this.parent.set(node, root);
      node = next;
    }
    return root;
  }

  /** Joins two sets unless that would put two different CVEs in one. */
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return;
    const ca = this.cve.get(ra);
    const cb = this.cve.get(rb);
    if (ca && cb && ca !== cb) return;
    this.parent.set(rb, ra);
    this.cve.set(ra, ca ?? cb);
  }

  cveOf(id: string): string | undefined {
    return this.cve.get(this.find(id));
  }
}

export function groupByAlias<T>(records: readonly T[], idsOf: (record: T) => readonly string[]): AliasGroup<T>[] {
  const sets = new UnionFind();
  const multiCve: T[] = [];
  const single: T[] = [];
  for (const record of records) {
    const ids = idsOf(record);
    for (const id of ids) sets.add(id);
    const cves = new Set(ids.filter(isCveId));
    if (cves.size > 1) {
      multiCve.push(record);
      continue;
    }
    single.push(record);
    const [first, ...rest] = ids;
    if (first !== undefined) for (const id of rest) sets.union(first, id);
  }
  const groups = new Map<string, AliasGroup<T>>();
  const groupOf = (id: string): AliasGroup<T> => {
    const root = sets.find(id);
    let group = groups.get(root);
    if (!group) {
      const cve = sets.cveOf(root);
      group = { ids: new Set(), members: [], ...(cve ? { cve } : {}) };
      groups.set(root, group);
    }
    return group;
  };
  for (const record of single) {
    const ids = idsOf(record);
    const group = groupOf(ids[0] as string);
    group.members.push(record);
    for (const id of ids) group.ids.add(id);
  }
  for (const record of multiCve) {
    const ids = idsOf(record);
    for (const cve of new Set(ids.filter(isCveId))) {
      const group = groupOf(cve);
      group.members.push(record);
      group.ids.add(cve);
      // the record's own non-CVE ids (DSA-…) are aliases of each problem it fixes
      for (const id of ids) if (!isCveId(id)) group.ids.add(id);
    }
  }
  return [...groups.values()];
}

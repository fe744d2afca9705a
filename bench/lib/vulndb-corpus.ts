import path from 'node:path';
import { readOsv, type Advisory, type MatchablePackage, type RangeEvent } from '@bulkhead/vulndb';

/*
 * A deterministic advisory corpus for the store and matching benchmarks, generated from the
 * shapes of the real records in ../shared/vulndata (read with the importer, so normalised as
 * an import would be): npm GHSA records (ranges, CVSS, GHSA severity), PyPA records (ECOSYSTEM
 * and GIT ranges, long `versions` lists) and Debian tracker records (open statuses, urgencies).
 *
 * Advisory i copies template t = i mod T with its own id and aliases, on the package
 * `<template package>-t<t>-g<k>`: each generated name carries ADVISORIES_PER_NAME advisories
 * (OSV holds a few records per affected package on average; a name shared by many templates,
 * as `django` is in the PyPA subset, would otherwise pile hundreds onto one name). Same inputs,
 * same corpus, every run.
 */

export const ADVISORIES_PER_NAME = 4;

export interface Corpus {
  templates: Advisory[];
  count: number;
  advisories(): AsyncIterable<Advisory>;
  /** `count` packages: 70% on names that carry advisories, 30% on names none mention. */
  packages(count: number): MatchablePackage[];
}

function eventVersion(event: RangeEvent): string {
  return Object.values(event)[0] as string;
}

export async function loadCorpus(shared: string, count: number): Promise<Corpus> {
  const inputs = [
    path.join(shared, 'vulndata', 'ghsa-npm', 'npm-subset.osv.jsonl'),
    path.join(shared, 'vulndata', 'pypa-advisory-database', 'pypi-subset.osv.jsonl'),
    path.join(shared, 'vulndata', 'debian-security-tracker', 'osv'),
  ];
  const templates: Advisory[] = [];
  for (const input of inputs) {
    for await (const record of readOsv(input)) if ('affected' in record && record.affected.length > 0) templates.push(record);
  }
  templates.sort((a, b) => a.id.localeCompare(b.id));
  const rounds = Math.ceil(count / templates.length);
  const namesPerTemplate = Math.max(1, Math.ceil(rounds / ADVISORIES_PER_NAME));
  const generated = (i: number): Advisory => {
    const t = i % templates.length;
    const template = templates[t] as Advisory;
    const round = Math.floor(i / templates.length);
    const suffix = `t${t}-g${round % namesPerTemplate}`;
    return {
      ...template,
      id: `${template.id}-${i}`,
      aliases: template.aliases.map((a) => `${a}-${i}`),
      affected: template.affected.map((a) => ({ ...a, name: `${a.name}-${suffix}`, ranges: a.ranges.map((r) => ({ ...r, events: r.events.map((e) => ({ ...e })) })), versions: [...a.versions] })),
    };
  };
  return {
    templates,
    count,
    async *advisories() {
      for (let i = 0; i < count; i++) yield generated(i);
    },
    packages(n: number): MatchablePackage[] {
      const list: MatchablePackage[] = [];
      for (let k = 0; k < n; k++) {
        const t = (k * 7) % templates.length;
        const template = templates[t] as Advisory;
        const affected = template.affected[k % template.affected.length] ?? template.affected[0];
        if (!affected) continue;
        const known = k % 10 < 7;
        // Installed versions: the template's own bounds (vulnerable or fixed, as they fall).
        const bounds = affected.ranges.filter((r) => r.type !== 'GIT').flatMap((r) => r.events.map(eventVersion)).filter((v) => v !== '0');
        const version = bounds[k % Math.max(1, bounds.length)] ?? affected.versions[0] ?? '1.0.0';
        list.push({
          ref: String(k),
          ecosystem: affected.ecosystem,
          name: known ? `${affected.name}-t${t}-g${k % namesPerTemplate}` : `${affected.name}-absent-${k}`,
          version,
        });
      }
      return list;
    },
  };
}

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One case of a Trivy `<input>.expected.json` (see ../shared/peers/trivy/SOURCE.md). */
export interface TrivyCase {
  name: string | null;
  options?: Record<string, unknown> | null;
  inputs?: Record<string, string>;
  expected: Record<string, unknown>;
}

export interface TrivyPackage {
  ID?: string;
  Name: string;
  Version?: string;
  Relationship?: string;
  Licenses?: string[];
  FilePath?: string;
  Locations?: { StartLine: number; EndLine: number }[];
  ExternalReferences?: { Type: string; URL: string }[];
}

export interface TrivyDependency {
  ID: string;
  DependsOn: string[];
}

/** Every `*.expected.json` under `dir`, relative to it, sorted. */
export function expectedFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const name of readdirSync(path.join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(path.join(dir, rel)).isDirectory()) walk(rel);
      else if (name.endsWith('.expected.json')) out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

export function readCases(file: string): TrivyCase[] {
  return (JSON.parse(readFileSync(file, 'utf8')) as { cases: TrivyCase[] }).cases;
}

/** Sorted copy, for expectations Trivy's tests compare as sets. */
export function sortedBy<T>(list: readonly T[], key: (item: T) => string): T[] {
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

import type { AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import type { Relationship } from '../golang/go-module';
import { packageUrl } from '../purl';

/** A Rust crate as a Cargo.lock or a cargo-auditable binary names it. */
export interface Crate {
  /** `name@version` (Trivy's package id). */
  id: string;
  name: string;
  version: string;
  relationship?: Relationship;
  /** Ids of the crates it depends on, sorted. */
  dependsOn?: string[];
  /** Lines of its `[[package]]` table in the Cargo.lock. */
  location?: { startLine: number; endLine: number };
}

export const crateId = (name: string, version: string): string => `${name}@${version}`;

export function cratePackageResults(crates: readonly Crate[], file: AnalyzerFile, source: 'Cargo.lock' | 'binary'): PackageResult[] {
  return crates.map((c) => ({
    type: 'cargo',
    name: c.name,
    version: c.version,
    purl: packageUrl('cargo', undefined, c.name, c.version),
    path: file.path,
    ...(file.layer ? { layer: file.layer } : {}),
    metadata: {
      source,
      ...(c.relationship ? { relationship: c.relationship } : {}),
      ...(c.location ? { line: c.location.startLine, endLine: c.location.endLine } : {}),
    },
  }));
}

import { findingFingerprint } from '../fingerprint';
import type { ArtifactResult, FindingResult, PackageResult } from '../results';
import type { ResultEmitter } from '../task';

/** Everything a task emitted, as plain data (what `bulkhead run` prints, what tests assert on). */
export interface CollectedResults {
  artifacts: ArtifactResult[];
  packages: { artifactDigest: string; packages: PackageResult[] }[];
  findings: FindingResult[];
}

/**
 * A ResultEmitter that keeps results in memory with the same idempotency rules the database
 * applies: one artifact per digest (merging references and manifest digests), a package inventory
 * replaced per artifact, one finding per (target, fingerprint). Used by the CLI's inline mode and
 * by the testing entry.
 */
export class CollectingEmitter implements ResultEmitter {
  readonly artifacts = new Map<string, ArtifactResult>();
  readonly packagesByArtifact = new Map<string, PackageResult[]>();
  private readonly findingsByKey = new Map<string, FindingResult>();

  async artifact(artifact: ArtifactResult): Promise<void> {
    const previous = this.artifacts.get(artifact.digest);
    const references = [...new Set([...(previous?.references ?? []), ...artifact.references])];
    const manifestDigests = [...new Set([...(previous?.manifestDigests ?? []), ...(artifact.manifestDigests ?? [])])].sort();
    this.artifacts.set(artifact.digest, { ...artifact, references, ...(manifestDigests.length > 0 ? { manifestDigests } : {}) });
  }

  async packages(artifactDigest: string, packages: readonly PackageResult[]): Promise<void> {
    this.packagesByArtifact.set(artifactDigest, [...packages]);
  }

  async findings(findings: readonly FindingResult[]): Promise<void> {
    for (const finding of findings) {
      const fingerprint = findingFingerprint(finding);
      this.findingsByKey.set(`${finding.target}\u0000${fingerprint}`, { ...finding, fingerprint });
    }
  }

  get findingList(): FindingResult[] {
    return [...this.findingsByKey.values()];
  }

  results(): CollectedResults {
    return {
      artifacts: [...this.artifacts.values()],
      packages: [...this.packagesByArtifact].map(([artifactDigest, packages]) => ({ artifactDigest, packages })),
      findings: this.findingList,
    };
  }
}

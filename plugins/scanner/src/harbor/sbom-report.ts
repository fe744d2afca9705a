import type { PackageResult } from '@bulkhead/plugin-sdk';
import type { HostArtifact, StoredFinding } from '@bulkhead/plugin-sdk/api';
import { buildScanReport } from '../report/scan-report';
import type { VulnerabilityScanStatus } from '../report/scan-status';
import { buildSpdxDocument } from '../report/spdx';
import { formatCycloneDx } from '../report/cyclonedx';
import { SPDX_JSON, type SbomMediaType } from './media-types';
import type { HarborArtifact, HarborScanner } from './vulnerability-report';

/*
 * Harbor's HarborSbomReport: the SBOM the scanner's own report code writes (CycloneDX 1.6 or
 * SPDX 2.3, the same documents as `bulkhead scan --format cyclonedx|spdx`), built from the
 * inventory and findings the scan stored, wrapped with Harbor's artifact and scanner fields.
 */

export interface HarborSbomReport {
  generated_at: string;
  artifact: HarborArtifact;
  scanner: HarborScanner;
  media_type: SbomMediaType;
  sbom: Record<string, unknown>;
  vendor_attributes: Record<string, unknown>;
}

export function harborSbomReport(input: {
  mediaType: SbomMediaType;
  image: HostArtifact;
  packages: readonly PackageResult[];
  findings: readonly StoredFinding[];
  vulnerabilityScan: VulnerabilityScanStatus;
  artifact: HarborArtifact;
  scanner: HarborScanner;
  generatedAt: Date;
}): HarborSbomReport {
  const report = buildScanReport({
    // What HostArtifact knows; the SBOM writers read the digest, references and OS only.
    artifact: { digest: input.image.digest, manifestDigests: input.image.manifestDigests, references: input.image.references, ...(input.image.os ? { os: input.image.os } : {}), size: 0, layers: [] },
    packages: input.packages,
    findings: input.findings.map(({ location, ...finding }) => ({ ...finding, ...(location ? { location } : {}) })),
    vulnerabilityScan: input.vulnerabilityScan,
    secretScan: { status: 'not-requested' },
  });
  const tool = { version: input.scanner.version };
  const sbom =
    input.mediaType === SPDX_JSON
      ? (buildSpdxDocument(report, tool, input.generatedAt) as unknown as Record<string, unknown>)
      : (JSON.parse(formatCycloneDx(report, tool, input.generatedAt)) as Record<string, unknown>);
  return {
    generated_at: input.generatedAt.toISOString(),
    artifact: input.artifact,
    scanner: input.scanner,
    media_type: input.mediaType,
    sbom,
    vendor_attributes: { imageId: input.image.digest, packageCount: input.packages.length },
  };
}

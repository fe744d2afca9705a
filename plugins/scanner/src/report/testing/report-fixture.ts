import type { ArtifactResult, FindingResult, PackageResult } from '@bulkhead/plugin-sdk';
import type { VulnerabilityMatch } from '@bulkhead/vulndb';
import { vulnerabilityFinding, type SecretFindingData } from '../../findings/finding-data';
import { buildScanReport, type ScanReport } from '../scan-report';
import type { VulnerabilityScanStatus } from '../scan-status';

/*
 * A small, realistic scan for the report tests: a Debian image with openssl (a fixed CVE and an
 * unfixed one), an npm lockfile with a vulnerable package, and a redacted secret.
 */

export const ARTIFACT: ArtifactResult = {
  digest: 'sha256:1111111111111111111111111111111111111111111111111111111111111111',
  manifestDigests: ['sha256:2222222222222222222222222222222222222222222222222222222222222222'],
  references: ['docker-archive:/images/app.tar'],
  os: { family: 'debian', version: '12' },
  size: 1234,
  layers: [{ digest: 'sha256:3333333333333333333333333333333333333333333333333333333333333333', diffId: 'sha256:4444444444444444444444444444444444444444444444444444444444444444', size: 1234 }],
};

const LAYER = 'sha256:4444444444444444444444444444444444444444444444444444444444444444';

export const PACKAGES: PackageResult[] = [
  { type: 'deb', name: 'libssl3', version: '3.0.11-1~deb12u2', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u2', purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12', layer: LAYER, path: 'var/lib/dpkg/status' },
  { type: 'deb', name: 'bash', version: '5.2.15-2+b2', sourceName: 'bash', sourceVersion: '5.2.15-2', purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12', layer: LAYER, path: 'var/lib/dpkg/status' },
  { type: 'npm', name: 'lodash', version: '4.17.15', purl: 'pkg:npm/lodash@4.17.15', layer: LAYER, path: 'app/package-lock.json' },
];

function match(ref: string, overrides: Partial<VulnerabilityMatch>): VulnerabilityMatch {
  return {
    ref,
    id: 'CVE-0000-0000',
    aliases: [],
    severity: 'MEDIUM',
    severitySource: 'debian',
    title: 'title',
    installedVersion: '0',
    status: 'fixed',
    evidence: [{ advisoryId: 'X', source: 'test' }],
    ...overrides,
  };
}

export const FINDINGS: FindingResult[] = [
  vulnerabilityFinding(ARTIFACT.digest, PACKAGES[0] as PackageResult, match('0', { id: 'CVE-2023-5678', aliases: ['DSA-5585-1'], severity: 'MEDIUM', title: 'openssl: excessive time spent in DH check', installedVersion: '3.0.11-1~deb12u2', fixedVersion: '3.0.13-1~deb12u1', status: 'fixed' })),
  vulnerabilityFinding(ARTIFACT.digest, PACKAGES[0] as PackageResult, match('0', { id: 'CVE-2010-0928', severity: 'LOW', title: 'openssl: RSA authentication weakness', installedVersion: '3.0.11-1~deb12u2', status: 'will_not_fix' })),
  vulnerabilityFinding(ARTIFACT.digest, PACKAGES[2] as PackageResult, match('2', { id: 'CVE-2020-8203', aliases: ['GHSA-p6mc-m468-83gw'], severity: 'HIGH', severitySource: 'ghsa', title: 'Prototype Pollution in lodash', installedVersion: '4.17.15', fixedVersion: '4.17.19', status: 'fixed' })),
  {
    kind: 'scanner',
    severity: 'CRITICAL',
    ruleId: 'aws-access-key-id',
    title: 'AWS Access Key ID',
    target: ARTIFACT.digest,
    location: 'app/.env:3',
    data: { findingType: 'secret', category: 'AWS', match: 'AWS_ACCESS_KEY_ID=********************', layer: LAYER, path: 'app/.env', line: 3 } satisfies SecretFindingData as unknown as Record<string, unknown>,
  },
];

export const CHECKED: VulnerabilityScanStatus = { status: 'checked', database: '/cache/vulndb/advisories.sqlite', advisories: 42, updatedAt: '2026-12-07T06:00:00Z', packagesChecked: 3, packagesNotCovered: 0 };

export function fixtureReport(vulnerabilityScan: VulnerabilityScanStatus = CHECKED): ScanReport {
  return buildScanReport({ artifact: ARTIFACT, packages: PACKAGES, findings: FINDINGS, vulnerabilityScan, secretScan: { status: 'checked' } });
}

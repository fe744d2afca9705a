import { createHash, randomUUID } from 'node:crypto';
import type { ReportFinding } from '../findings/finding-data';
import { describeVulnerabilityScan } from './scan-status';
import type { ReportPackage, ReportedFinding, ScanReport } from './scan-report';

/*
 * SPDX 2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/): the image is the described package
 * (primaryPackagePurpose CONTAINER), the OS a package (OPERATING-SYSTEM), every inventoried
 * package a package with its purl (PACKAGE-MANAGER external ref) CONTAINED by the image. SPDX
 * 2.3 has no vulnerability section; each vulnerability is a SECURITY `advisory` external ref on
 * the package it affects (the form the spec gives for this), and the state of the vulnerability
 * check is the document comment so an unchecked scan never reads as clean.
 */

export interface SpdxExternalRef {
  referenceCategory: 'SECURITY' | 'PACKAGE-MANAGER' | 'PERSISTENT-ID' | 'OTHER';
  referenceType: string;
  referenceLocator: string;
  comment?: string;
}

export interface SpdxPackage {
  name: string;
  SPDXID: string;
  versionInfo?: string;
  downloadLocation: string;
  filesAnalyzed: boolean;
  licenseConcluded: string;
  licenseDeclared: string;
  copyrightText: string;
  primaryPackagePurpose?: 'CONTAINER' | 'OPERATING-SYSTEM' | 'LIBRARY' | 'APPLICATION';
  sourceInfo?: string;
  externalRefs?: SpdxExternalRef[];
  comment?: string;
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3';
  dataLicense: 'CC0-1.0';
  SPDXID: 'SPDXRef-DOCUMENT';
  name: string;
  documentNamespace: string;
  comment: string;
  creationInfo: { created: string; creators: string[] };
  packages: SpdxPackage[];
  relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[];
}

/** SPDX ids allow letters, digits, `.` and `-`: a readable prefix and a hash keep them unique. */
function spdxId(kind: string, key: string): string {
  return `SPDXRef-${kind}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** `created` must be UTC without fractions of a second (the schema's pattern). */
function spdxTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function advisoryUrl(id: string): string {
  return /^CVE-\d+-\d+$/.test(id) ? `https://nvd.nist.gov/vuln/detail/${id}` : `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

function isVulnerability(f: ReportedFinding): f is ReportFinding & { kind: 'vulnerability' } {
  return f.kind === 'vulnerability';
}

export function buildSpdxDocument(report: ScanReport, tool: { version: string }, now: Date = new Date(), namespaceId: string = randomUUID()): SpdxDocument {
  const artifactName = report.artifact.references[0] ?? report.artifact.digest;
  const rootId = spdxId('Image', report.artifact.digest);
  const root: SpdxPackage = {
    name: artifactName,
    SPDXID: rootId,
    versionInfo: report.artifact.digest,
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: 'CONTAINER',
  };
  const packages: SpdxPackage[] = [root];
  const relationships: SpdxDocument['relationships'] = [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId }];
  if (report.artifact.os) {
    const osId = spdxId('OperatingSystem', `${report.artifact.os.family}@${report.artifact.os.version}`);
    packages.push({
      name: report.artifact.os.family,
      SPDXID: osId,
      versionInfo: report.artifact.os.version,
      downloadLocation: 'NONE',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'OPERATING-SYSTEM',
    });
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: osId });
  }

  const advisories = new Map<string, SpdxExternalRef[]>();
  for (const f of report.findings.filter(isVulnerability)) {
    const key = `${f.purl ?? ''}\u0000${f.location?.path ?? ''}`;
    const refs = advisories.get(key) ?? [];
    refs.push({
      referenceCategory: 'SECURITY',
      referenceType: 'advisory',
      referenceLocator: advisoryUrl(f.id),
      comment: [`${f.id} ${f.severity}`, f.status, f.fixedVersion ? `fixed in ${f.fixedVersion}` : undefined, f.aliases?.length ? `aliases ${f.aliases.join(', ')}` : undefined].filter(Boolean).join('; '),
    });
    advisories.set(key, refs);
  }

  const seen = new Set<string>();
  const add = (pkg: ReportPackage): void => {
    const key = `${pkg.purl}\u0000${pkg.path ?? ''}`;
    let id = spdxId('Package', key);
    for (let n = 2; seen.has(id); n++) id = spdxId('Package', `${key}\u0000${n}`);
    seen.add(id);
    packages.push({
      name: pkg.name,
      SPDXID: id,
      versionInfo: pkg.version,
      downloadLocation: 'NONE',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      licenseDeclared: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      primaryPackagePurpose: 'LIBRARY',
      ...(pkg.sourceName !== pkg.name || pkg.sourceVersion !== pkg.version ? { sourceInfo: `built from ${pkg.sourceName} ${pkg.sourceVersion}` } : {}),
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl }, ...(advisories.get(key) ?? [])],
      ...(pkg.path || pkg.layer ? { comment: [pkg.path ? `path: ${pkg.path}` : '', pkg.layer ? `layer: ${pkg.layer}` : ''].filter(Boolean).join('; ') } : {}),
    });
    relationships.push({ spdxElementId: rootId, relationshipType: 'CONTAINS', relatedSpdxElement: id });
  };
  for (const pkg of report.packages) add(pkg);

  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: artifactName,
    documentNamespace: `https://bulkhead.invalid/spdx/${encodeURIComponent(artifactName)}-${namespaceId}`,
    comment: `Vulnerabilities ${describeVulnerabilityScan(report.vulnerabilityScan)}`,
    creationInfo: { created: spdxTime(now), creators: [`Tool: bulkhead-${tool.version}`] },
    packages,
    relationships,
  };
}

export function formatSpdx(report: ScanReport, tool: { version: string }, now?: Date): string {
  return JSON.stringify(buildSpdxDocument(report, tool, now), null, 2);
}

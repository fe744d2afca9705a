import { Enums, Models, Serialize, Spec } from '@cyclonedx/cyclonedx-library';
import type { Severity } from '@bulkhead/plugin-sdk';
import type { ReportFinding } from '../findings/finding-data';
import { describeVulnerabilityScan } from './scan-status';
import type { ReportPackage, ReportedFinding, ScanReport, SuppressedFinding } from './scan-report';

/*
 * CycloneDX 1.6 JSON, built and serialised with @cyclonedx/cyclonedx-library: the image as
 * `metadata.component` (type container), every package a component (purl, bom-ref), and every
 * vulnerability once with `affects` listing each package it hits (the installed version as
 * affected), a rating from our severity, aliases as references, and — for findings a VEX
 * statement or the ignore file suppressed, when they are in the report — an `analysis` that says
 * why (so the output is itself a VEX). Secrets are not part of a bill of materials: left out.
 */

const SEVERITY: Record<Severity, Enums.Vulnerability.Severity> = {
  CRITICAL: Enums.Vulnerability.Severity.Critical,
  HIGH: Enums.Vulnerability.Severity.High,
  MEDIUM: Enums.Vulnerability.Severity.Medium,
  LOW: Enums.Vulnerability.Severity.Low,
  INFO: Enums.Vulnerability.Severity.Info,
  UNKNOWN: Enums.Vulnerability.Severity.Unknown,
};

const ANALYSIS_STATES = new Set<string>(Object.values(Enums.Vulnerability.AnalysisState));
const JUSTIFICATIONS = new Set<string>(Object.values(Enums.Vulnerability.AnalysisJustification));
/** OpenVEX justifications (https://github.com/openvex/spec) to CycloneDX's nearest ones. */
const OPENVEX_JUSTIFICATION: Record<string, Enums.Vulnerability.AnalysisJustification> = {
  component_not_present: Enums.Vulnerability.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_present: Enums.Vulnerability.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_in_execute_path: Enums.Vulnerability.AnalysisJustification.CodeNotReachable,
  vulnerable_code_cannot_be_controlled_by_adversary: Enums.Vulnerability.AnalysisJustification.ProtectedAtRuntime,
  inline_mitigations_already_exist: Enums.Vulnerability.AnalysisJustification.ProtectedByMitigatingControl,
};

function packageKey(purl: string, path: string | null | undefined): string {
  return `${purl}\u0000${path ?? ''}`;
}

function advisorySource(id: string): Models.Vulnerability.Source {
  if (/^CVE-\d+-\d+$/.test(id)) return new Models.Vulnerability.Source({ name: 'NVD', url: `https://nvd.nist.gov/vuln/detail/${id}` });
  return new Models.Vulnerability.Source({ name: 'OSV', url: `https://osv.dev/vulnerability/${encodeURIComponent(id)}` });
}

function analysisOf(finding: SuppressedFinding): Models.Vulnerability.Analysis {
  const s = finding.suppression;
  const status = s.status === 'fixed' ? 'resolved' : s.status;
  const state = status && ANALYSIS_STATES.has(status) ? (status as Enums.Vulnerability.AnalysisState) : Enums.Vulnerability.AnalysisState.NotAffected;
  const justification = s.justification
    ? JUSTIFICATIONS.has(s.justification)
      ? (s.justification as Enums.Vulnerability.AnalysisJustification)
      : OPENVEX_JUSTIFICATION[s.justification]
    : undefined;
  const detail = [s.by === 'vex' ? `VEX ${s.source}` : `ignore file ${s.source}`, s.justification && !justification ? s.justification : undefined, s.statement, s.expires ? `until ${s.expires}` : undefined]
    .filter(Boolean)
    .join(': ');
  return new Models.Vulnerability.Analysis({ state, ...(justification ? { justification } : {}), detail });
}

function isVulnerability(f: ReportedFinding): f is ReportFinding & { kind: 'vulnerability' } {
  return f.kind === 'vulnerability';
}

export function buildCycloneDxBom(report: ScanReport, tool: { version: string }, now: Date = new Date()): Models.Bom {
  const bom = new Models.Bom();
  const artifactName = report.artifact.references[0] ?? report.artifact.digest;
  const root = new Models.Component(Enums.ComponentType.Container, artifactName, { bomRef: report.artifact.digest, version: report.artifact.digest });
  bom.metadata.component = root;
  bom.metadata.timestamp = now;
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, 'bulkhead', { version: tool.version }));
  bom.metadata.properties.add(new Models.Property('bulkhead:vulnerabilityScan', report.vulnerabilityScan.status));
  bom.metadata.properties.add(new Models.Property('bulkhead:vulnerabilityScan:detail', describeVulnerabilityScan(report.vulnerabilityScan)));
  if (report.artifact.os) bom.components.add(new Models.Component(Enums.ComponentType.OperatingSystem, report.artifact.os.family, { version: report.artifact.os.version, bomRef: `os:${report.artifact.os.family}@${report.artifact.os.version}` }));

  const components = new Map<string, Models.Component>();
  const usedRefs = new Set<string>([report.artifact.digest]);
  const add = (pkg: Pick<ReportPackage, 'type' | 'name' | 'version' | 'purl' | 'layer'> & Partial<Pick<ReportPackage, 'sourceName' | 'sourceVersion'>> & { path?: string | null }): Models.Component => {
    const key = packageKey(pkg.purl, pkg.path);
    const existing = components.get(key);
    if (existing) return existing;
    // bom-refs must be unique: the purl, made unique by the file when a purl repeats.
    let ref = pkg.purl || `component-${components.size + 1}`;
    if (usedRefs.has(ref)) ref = `${ref}#${pkg.path ?? ''}`;
    for (let n = 2; usedRefs.has(ref); n++) ref = `${pkg.purl}#${pkg.path ?? ''}#${n}`;
    usedRefs.add(ref);
    const component = new Models.Component(Enums.ComponentType.Library, pkg.name, { bomRef: ref, version: pkg.version, purl: pkg.purl });
    if (pkg.path) component.properties.add(new Models.Property('bulkhead:package:path', pkg.path));
    if (pkg.layer) component.properties.add(new Models.Property('bulkhead:layer:diffId', pkg.layer));
    component.properties.add(new Models.Property('bulkhead:package:type', pkg.type));
    // The source package: distributions publish advisories by it (read back by `sbom:` scans).
    if (pkg.sourceName && (pkg.sourceName !== pkg.name || pkg.sourceVersion !== pkg.version)) {
      component.properties.add(new Models.Property('bulkhead:package:sourceName', pkg.sourceName));
      component.properties.add(new Models.Property('bulkhead:package:sourceVersion', pkg.sourceVersion ?? pkg.version));
    }
    components.set(key, component);
    bom.components.add(component);
    return component;
  };
  for (const pkg of report.packages) add(pkg);

  const vulnerabilities = new Map<string, Models.Vulnerability.Vulnerability>();
  const record = (finding: ReportFinding, suppressed?: SuppressedFinding): void => {
    const path = finding.location?.path;
    const component =
      components.get(packageKey(finding.purl ?? '', path)) ??
      add({ type: 'unknown', name: finding.package ?? finding.purl ?? finding.id, version: finding.installedVersion ?? '', purl: finding.purl ?? '', layer: finding.location?.layer ?? null, path: path ?? null });
    // One vulnerability entry per id and verdict: a suppressed entry carries its own analysis.
    const key = `${finding.id}\u0000${suppressed ? JSON.stringify(suppressed.suppression) : ''}`;
    let vulnerability = vulnerabilities.get(key);
    if (!vulnerability) {
      vulnerability = new Models.Vulnerability.Vulnerability({
        bomRef: `${finding.id}${suppressed ? `#suppressed-${vulnerabilities.size}` : ''}`,
        id: finding.id,
        source: advisorySource(finding.id),
        description: finding.title,
        ...(suppressed ? { analysis: analysisOf(suppressed) } : {}),
      });
      vulnerability.ratings.add(new Models.Vulnerability.Rating({ severity: SEVERITY[finding.severity], method: Enums.Vulnerability.RatingMethod.Other, source: advisorySource(finding.id) }));
      for (const alias of finding.aliases ?? []) vulnerability.references.add(new Models.Vulnerability.Reference(alias, advisorySource(alias)));
      vulnerabilities.set(key, vulnerability);
      bom.vulnerabilities.add(vulnerability);
    }
    if (finding.fixedVersion) vulnerability.recommendation = `Upgrade ${finding.package ?? 'the package'} to ${finding.fixedVersion} or later`;
    const affect = new Models.Vulnerability.Affect(component.bomRef);
    affect.versions.add(new Models.Vulnerability.AffectedSingleVersion(finding.installedVersion ?? '', { status: Enums.Vulnerability.AffectStatus.Affected }));
    vulnerability.affects.add(affect);
  };
  for (const finding of report.findings) if (isVulnerability(finding)) record(finding);
  for (const finding of report.suppressed ?? []) if (isVulnerability(finding)) record(finding, finding);
  return bom;
}

/** The CycloneDX 1.6 JSON text. */
export function formatCycloneDx(report: ScanReport, tool: { version: string }, now?: Date): string {
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(buildCycloneDxBom(report, tool, now), { sortLists: true, space: 2 });
}

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '@bulkhead/plugin-sdk';
import type * as Sarif from 'sarif';
import type { BenchmarkCheckResult, BenchmarkReport, BenchmarkStatus } from './model';
import { REFERENCE_SOURCES, type CheckReferences, type ReferenceSource } from './references';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

export interface SarifOptions {
  toolName?: string;
  toolVersion?: string;
  informationUri?: string;
  /** Problems met while running (e.g. unparsable input files), reported as toolExecutionNotifications. */
  notifications?: readonly { message: string; file?: string; line?: number }[];
  /**
   * The folder file locations are relative to (default: the working folder). Files under it get
   * a relative `uri` with `uriBaseId: "%SRCROOT%"` (declared in the run's `originalUriBaseIds`),
   * the form code-scanning services map onto the repository; files outside it an absolute
   * `file://` URI.
   */
  srcRoot?: string;
}

/** The uriBaseId of files under `srcRoot`, as GitHub code scanning and other SARIF readers expect. */
export const SRCROOT = '%SRCROOT%';

/**
 * SARIF 2.1.0 log with one run, typed against the spec's schema (@types/sarif). Every check id becomes a `tool.driver.rules` entry; every result
 * refers to its rule by `ruleId` and `ruleIndex`. SARIF (§3.27.10) allows a level other than
 * `none` only for `kind: fail`, so FAIL and WARN are failures (level from severity / `warning`)
 * and PASS, INFO, SKIP are `pass`, `informational`, `notApplicable` with level `none`.
 */
export function formatSarif(report: BenchmarkReport, options: SarifOptions = {}): string {
  return JSON.stringify(toSarif(report, options), null, 2) + '\n';
}

export function toSarif(report: BenchmarkReport, options: SarifOptions = {}): Sarif.Log {
  const locate = new ArtifactLocations(options.srcRoot ?? process.cwd());
  const ruleIndex = new Map<string, number>();
  const rules: Sarif.ReportingDescriptor[] = [];
  const taxonomies = new Taxonomies();
  for (const r of report.results) {
    if (ruleIndex.has(r.checkId)) continue;
    ruleIndex.set(r.checkId, rules.length);
    const relationships = r.references ? taxonomies.relationships(r.references) : [];
    rules.push({
      id: r.checkId,
      name: ruleName(r.checkId),
      shortDescription: { text: r.title },
      ...(r.remediation ? { help: { text: r.remediation } } : {}),
      defaultConfiguration: { level: levelOf('FAIL', r.severity) },
      ...(relationships.length > 0 ? { relationships } : {}),
      properties: { ...(r.benchmark ? { benchmark: r.benchmark } : {}), severity: r.severity, ...(r.references ? { references: r.references } : {}) },
    });
  }
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: options.toolName ?? 'bulkhead',
            ...(options.toolVersion ? { version: options.toolVersion } : {}),
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            rules,
          },
        },
        ...(taxonomies.size > 0 ? { taxonomies: taxonomies.toolComponents() } : {}),
        results: report.results.map((r) => sarifResult(r, ruleIndex.get(r.checkId) ?? 0, locate)),
        ...(options.notifications?.length
          ? {
              invocations: [
                {
                  executionSuccessful: false,
                  toolExecutionNotifications: options.notifications.map((n) => ({
                    level: 'error',
                    message: { text: n.message },
                    ...(n.file
                      ? { locations: [{ physicalLocation: { artifactLocation: locate.of(n.file), ...(n.line ? { region: { startLine: n.line } } : {}) } }] }
                      : {}),
                  })),
                },
              ],
            }
          : {}),
        ...(locate.usedSrcRoot ? { originalUriBaseIds: { [SRCROOT]: { uri: locate.srcRootUri } } } : {}),
      },
    ],
  };
}

/**
 * The other tools and standards a run's rules refer to, as SARIF taxonomies (§3.19.3): one
 * toolComponent per source whose taxa are the referenced ids. A rule's `relationships` point at
 * those taxa (`kinds: ["equal"]`, or `relevant` for a standard's control), by index and name.
 */
class Taxonomies {
  private readonly components = new Map<ReferenceSource, { index: number; taxa: Map<string, number> }>();

  get size(): number {
    return this.components.size;
  }

  relationships(references: CheckReferences): Sarif.ReportingDescriptorRelationship[] {
    const out: Sarif.ReportingDescriptorRelationship[] = [];
    for (const source of Object.keys(REFERENCE_SOURCES) as ReferenceSource[]) {
      for (const id of references[source] ?? []) {
        let component = this.components.get(source);
        if (!component) {
          component = { index: this.components.size, taxa: new Map() };
          this.components.set(source, component);
        }
        let taxon = component.taxa.get(id);
        if (taxon === undefined) {
          taxon = component.taxa.size;
          component.taxa.set(id, taxon);
        }
        out.push({
          target: { id, index: taxon, toolComponent: { name: REFERENCE_SOURCES[source].name, index: component.index } },
          kinds: [source.startsWith('cis') || source === 'pss' ? 'relevant' : 'equal'],
        });
      }
    }
    return out;
  }

  toolComponents(): Sarif.ToolComponent[] {
    return [...this.components].map(([source, c]) => ({
      name: REFERENCE_SOURCES[source].name,
      informationUri: REFERENCE_SOURCES[source].informationUri,
      taxa: [...c.taxa.keys()].map((id) => ({ id })),
    }));
  }
}

function sarifResult(r: BenchmarkCheckResult, index: number, locate: ArtifactLocations): Sarif.Result {
  const logical: Sarif.LogicalLocation = { fullyQualifiedName: r.target, kind: 'resource' };
  const location: Sarif.Location = { logicalLocations: [logical] };
  if (r.file) {
    location.physicalLocation = {
      artifactLocation: locate.of(r.file),
      ...(r.line ? { region: { startLine: r.line, ...(r.endLine && r.endLine > r.line ? { endLine: r.endLine } : {}) } } : {}),
    };
  }
  return {
    ruleId: r.checkId,
    ruleIndex: index,
    kind: kindOf(r.status),
    level: levelOf(r.status, r.severity),
    message: { text: `${r.target}: ${r.message}` },
    locations: [location],
    properties: { status: r.status, severity: r.severity, ...(r.benchmark ? { benchmark: r.benchmark } : {}) },
  };
}

function kindOf(status: BenchmarkStatus): Sarif.Result.kind {
  switch (status) {
    case 'FAIL':
    case 'WARN':
      return 'fail';
    case 'PASS':
      return 'pass';
    case 'INFO':
      return 'informational';
    case 'SKIP':
      return 'notApplicable';
  }
}

function levelOf(status: BenchmarkStatus, severity: Severity): Sarif.Result.level {
  if (status === 'WARN') return 'warning';
  if (status !== 'FAIL') return 'none';
  if (severity === 'CRITICAL' || severity === 'HIGH') return 'error';
  if (severity === 'MEDIUM' || severity === 'UNKNOWN') return 'warning';
  return 'note';
}

/** SARIF rule names are PascalCase-ish identifiers; derive one from ids like `5.1.1` or `host-ports`. */
function ruleName(id: string): string {
  return id.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''));
}

/** Relative paths stay relative (resolved against the run's base); backslashes become slashes. */
/** SARIF artifact locations of files: relative to %SRCROOT% when under it, else absolute file:// URIs. */
class ArtifactLocations {
  usedSrcRoot = false;
  readonly srcRootUri: string;
  private readonly root: string;

  constructor(srcRoot: string) {
    this.root = path.resolve(srcRoot);
    // A folder's URI ends with "/" (SARIF §3.14.14), so that relative URIs resolve under it.
    this.srcRootUri = pathToFileURL(this.root).href.replace(/\/?$/, '/');
  }

  of(file: string): Sarif.ArtifactLocation {
    // Not a file (standard input): a relative URI of its name, with no base to resolve against.
    if (file.startsWith('<')) return { uri: encodeURI(file) };
    const absolute = path.resolve(this.root, file);
    const relative = path.relative(this.root, absolute);
    if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return { uri: pathToFileURL(absolute).href };
    this.usedSrcRoot = true;
    return { uri: toUri(relative), uriBaseId: SRCROOT };
  }
}

/** A relative path as a relative URI reference: each segment percent-encoded (`#`, `?`, `%`, spaces). */
function toUri(relative: string): string {
  return relative.split(/[\\/]/).map(encodeURIComponent).join('/');
}

import { BadInputError } from '@bulkhead/plugin-sdk';
import { XMLParser } from 'fast-xml-parser';

/** A `<dependency>` of a POM, as written (variables not evaluated). */
export interface PomDependency {
  groupId: string;
  artifactId: string;
  version: string;
  scope: string;
  optional: boolean;
  exclusions: { groupId: string; artifactId: string }[];
  /** Lines of the element, for the POM being scanned only (0 elsewhere, as Trivy). */
  startLine: number;
  endLine: number;
}

/** The parts of a POM that dependency resolution reads. */
export interface PomXml {
  parent: { groupId: string; artifactId: string; version: string; relativePath: string };
  groupId: string;
  artifactId: string;
  version: string;
  licenses: string[];
  modules: string[];
  properties: Record<string, string>;
  dependencyManagement: PomDependency[];
  dependencies: PomDependency[];
}

/** Elements that repeat; fast-xml-parser returns them as arrays even when there is one. */
const REPEATED = new Set(['dependency', 'module', 'license', 'exclusion', 'repository']);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  captureMetaData: true,
  // The five XML entities are decoded; nested DOCTYPE-declared entities are not expanded (a
  // billion-laughs POM keeps its `&lol9;` text: see the spec), so no entity bomb.
  processEntities: true,
  isArray: (name) => REPEATED.has(name),
});
// Typed `Symbol` (the wrapper type) by fast-xml-parser; it is a symbol primitive at run time.
const META = XMLParser.getMetaDataSymbol() as unknown as symbol;

type Node = Record<string | symbol, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '');
const node = (value: unknown): Node => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Node) : {});
const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Parses a POM. `withLines` records each dependency's first and last line (Trivy records them
 * for the scanned POM only, not for parents, modules or repository POMs). Malformed XML is a
 * BadInputError naming the file.
 */
export function parsePomXml(xml: string, file: string, withLines: boolean): PomXml {
  let doc: Node;
  try {
    doc = node(parser.parse(xml, true));
  } catch (error) {
    throw new BadInputError(`${file}: invalid XML (${(error as Error).message.split('\n')[0] ?? ''})`);
  }
  const project = node(doc['project']);
  const lineOf = lineIndex(withLines ? xml : '');
  const dependencies = (parent: unknown): PomDependency[] =>
    list(node(parent)['dependency']).map((raw) => {
      const d = node(raw);
      const meta = d[META] as { startIndex?: number; endIndex?: number } | undefined;
      return {
        groupId: text(d['groupId']),
        artifactId: text(d['artifactId']),
        version: text(d['version']),
        scope: text(d['scope']),
        optional: text(d['optional']).trim() === 'true',
        exclusions: list(node(d['exclusions'])['exclusion']).map((e) => ({ groupId: text(node(e)['groupId']), artifactId: text(node(e)['artifactId']) })),
        startLine: withLines && meta?.startIndex !== undefined ? lineOf(meta.startIndex) : 0,
        endLine: withLines && meta?.endIndex !== undefined ? lineOf(meta.endIndex) : 0,
      };
    });
  const parent = node(project['parent']);
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(node(project['properties']))) properties[key] = text(value);
  return {
    parent: { groupId: text(parent['groupId']), artifactId: text(parent['artifactId']), version: text(parent['version']), relativePath: text(parent['relativePath']) },
    groupId: text(project['groupId']),
    artifactId: text(project['artifactId']),
    version: text(project['version']),
    licenses: list(node(project['licenses'])['license'])
      .map((l) => text(node(l)['name']).trim())
      .filter((name) => name !== ''),
    modules: list(node(project['modules'])['module']).map(text),
    properties,
    dependencyManagement: dependencies(node(node(project['dependencyManagement'])['dependencies'])),
    dependencies: dependencies(project['dependencies']),
  };
}

/** Character offset → 1-based line, by binary search over the newline offsets. */
function lineIndex(source: string): (offset: number) => number {
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/** `snapshotVersions` of a repository's maven-metadata.xml: the timestamped `.pom` version, if any. */
export function snapshotPomVersion(xml: string): string | undefined {
  try {
    const doc = node(new XMLParser({ ignoreAttributes: true, parseTagValue: false, isArray: (name) => name === 'snapshotVersion' }).parse(xml));
    const versions = list(node(node(node(doc['metadata'])['versioning'])['snapshotVersions'])['snapshotVersion']);
    let value: string | undefined;
    for (const v of versions) if (text(node(v)['extension']) === 'pom') value = text(node(v)['value']);
    return value;
  } catch {
    return undefined;
  }
}

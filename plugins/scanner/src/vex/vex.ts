import { readFile, stat } from 'node:fs/promises';
import { PackageURL } from 'packageurl-js';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { cannotReadMessage } from '@bulkhead/plugin-sdk/cli';

/*
 * VEX (Vulnerability Exploitability eXchange): statements by the image's maintainer that a
 * vulnerability does not apply to a product. Two formats are read, both JSON:
 *   - OpenVEX (https://github.com/openvex/spec): `statements[]` of { vulnerability.name /
 *     aliases, products[].@id (+ subcomponents[].@id), status, justification, impact_statement }.
 *   - CycloneDX VEX (a CycloneDX BOM with `vulnerabilities[].analysis`): { id, affects[].ref,
 *     analysis.state, analysis.justification, analysis.detail }.
 * As in Trivy, a statement that the product is not affected (OpenVEX `not_affected`, `fixed`;
 * CycloneDX `not_affected`, `false_positive`, `resolved`) suppresses the finding; `affected`,
 * `under_investigation`, `exploitable`, `in_triage` keep it. The statement is carried into the
 * report (justification, impact) so a suppressed finding explains itself.
 */

export const SUPPRESSING_OPENVEX_STATUSES = ['not_affected', 'fixed'] as const;
export const SUPPRESSING_CYCLONEDX_STATES = ['not_affected', 'false_positive', 'resolved'] as const;

/** One statement, normalised from either format. */
export interface VexStatement {
  /** Vulnerability id and its aliases as the document names them. */
  vulnerabilities: string[];
  /**
   * Package URLs the statement is about. A product without any purl (an image reference, a
   * CycloneDX bom-ref that resolves to no purl) is kept by its raw id in `otherProducts`.
   */
  purls: PackageURL[];
  otherProducts: string[];
  status: string;
  suppresses: boolean;
  justification?: string;
  statement?: string;
  /** Document order, to let later statements win (OpenVEX: newer statements supersede). */
  order: number;
  timestamp?: string;
}

export interface VexDocument {
  format: 'openvex' | 'cyclonedx';
  source: string;
  statements: VexStatement[];
}

/** A VEX document larger than this is refused rather than parsed whole. */
const MAX_VEX_BYTES = 64 * 1024 * 1024;

function fail(source: string, field: string, problem: string): never {
  throw new BadInputError(`${source}: ${field}: ${problem}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown, source: string, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') fail(source, field, `expected a string, got ${typeof value}`);
  return value;
}

function array(value: unknown, source: string, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(source, field, 'expected an array');
  return value;
}

function parsePurl(id: string): PackageURL | undefined {
  if (!id.startsWith('pkg:')) return undefined;
  try {
    return PackageURL.fromString(id);
  } catch {
    return undefined;
  }
}

/** CycloneDX refs may be BOM-links (`urn:cdx:<serial>/<version>#<bom-ref>`): the bom-ref part. */
function bomRefOf(ref: string): string {
  if (!ref.startsWith('urn:cdx:')) return ref;
  const hash = ref.indexOf('#');
  return hash >= 0 ? decodeURIComponent(ref.slice(hash + 1)) : ref;
}

function parseOpenVex(doc: Record<string, unknown>, source: string): VexDocument {
  const statements = array(doc['statements'], source, 'statements').map((raw, index): VexStatement => {
    const field = `statements[${index}]`;
    if (!isObject(raw)) fail(source, field, 'expected an object');
    const vulnerability = raw['vulnerability'];
    const vulnerabilities: string[] = [];
    if (typeof vulnerability === 'string') vulnerabilities.push(vulnerability);
    else if (isObject(vulnerability)) {
      const name = optionalString(vulnerability['name'], source, `${field}.vulnerability.name`);
      const id = optionalString(vulnerability['@id'], source, `${field}.vulnerability.@id`);
      if (name) vulnerabilities.push(name);
      if (id && !vulnerabilities.includes(id)) vulnerabilities.push(id);
      for (const [i, alias] of array(vulnerability['aliases'], source, `${field}.vulnerability.aliases`).entries()) {
        const value = optionalString(alias, source, `${field}.vulnerability.aliases[${i}]`);
        if (value) vulnerabilities.push(value);
      }
    }
    if (vulnerabilities.length === 0) fail(source, `${field}.vulnerability`, 'missing vulnerability name');
    const status = optionalString(raw['status'], source, `${field}.status`);
    if (!status) fail(source, `${field}.status`, 'missing');
    const purls: PackageURL[] = [];
    const otherProducts: string[] = [];
    const addProduct = (id: string): void => {
      const purl = parsePurl(id);
      if (purl) purls.push(purl);
      else otherProducts.push(id);
    };
    for (const [p, product] of array(raw['products'], source, `${field}.products`).entries()) {
      const productField = `${field}.products[${p}]`;
      const id = typeof product === 'string' ? product : isObject(product) ? optionalString(product['@id'], source, `${productField}.@id`) : fail(source, productField, 'expected an object');
      const subcomponents = isObject(product) ? array(product['subcomponents'], source, `${productField}.subcomponents`) : [];
      // A product with subcomponents speaks for those packages inside it (the image), not for
      // every package of the product.
      if (subcomponents.length === 0) {
        if (id) addProduct(id);
        const identifiers = isObject(product) ? product['identifiers'] : undefined;
        if (isObject(identifiers) && typeof identifiers['purl'] === 'string') addProduct(identifiers['purl']);
      } else {
        for (const [s, sub] of subcomponents.entries()) {
          const subId = typeof sub === 'string' ? sub : isObject(sub) ? optionalString(sub['@id'], source, `${productField}.subcomponents[${s}].@id`) : undefined;
          if (subId) addProduct(subId);
        }
      }
    }
    const justification = optionalString(raw['justification'], source, `${field}.justification`);
    const statement = optionalString(raw['impact_statement'], source, `${field}.impact_statement`) ?? optionalString(raw['status_notes'], source, `${field}.status_notes`);
    const timestamp = optionalString(raw['timestamp'], source, `${field}.timestamp`) ?? optionalString(doc['timestamp'], source, 'timestamp');
    return {
      vulnerabilities,
      purls,
      otherProducts,
      status,
      suppresses: (SUPPRESSING_OPENVEX_STATUSES as readonly string[]).includes(status),
      ...(justification ? { justification } : {}),
      ...(statement ? { statement } : {}),
      ...(timestamp ? { timestamp } : {}),
      order: index,
    };
  });
  return { format: 'openvex', source, statements };
}

function parseCycloneDxVex(doc: Record<string, unknown>, source: string): VexDocument {
  // bom-refs of the document's own components resolve to their purls.
  const purlByRef = new Map<string, string>();
  const collect = (components: unknown, field: string): void => {
    for (const [i, component] of array(components, source, field).entries()) {
      if (!isObject(component)) continue;
      const ref = component['bom-ref'];
      const purl = component['purl'];
      if (typeof ref === 'string' && typeof purl === 'string') purlByRef.set(ref, purl);
      if (component['components'] !== undefined) collect(component['components'], `${field}[${i}].components`);
    }
  };
  collect(doc['components'], 'components');
  const metadata = doc['metadata'];
  if (isObject(metadata) && isObject(metadata['component'])) collect([metadata['component']], 'metadata.component');

  const statements: VexStatement[] = [];
  for (const [index, raw] of array(doc['vulnerabilities'], source, 'vulnerabilities').entries()) {
    const field = `vulnerabilities[${index}]`;
    if (!isObject(raw)) fail(source, field, 'expected an object');
    const id = optionalString(raw['id'], source, `${field}.id`);
    if (!id) fail(source, `${field}.id`, 'missing');
    const vulnerabilities = [id];
    for (const [i, ref] of array(raw['references'], source, `${field}.references`).entries()) {
      if (isObject(ref)) {
        const alias = optionalString(ref['id'], source, `${field}.references[${i}].id`);
        if (alias) vulnerabilities.push(alias);
      }
    }
    const analysis = raw['analysis'];
    if (!isObject(analysis)) continue; // a vulnerability without analysis states nothing
    const state = optionalString(analysis['state'], source, `${field}.analysis.state`);
    if (!state) continue;
    const purls: PackageURL[] = [];
    const otherProducts: string[] = [];
    for (const [a, affect] of array(raw['affects'], source, `${field}.affects`).entries()) {
      if (!isObject(affect)) fail(source, `${field}.affects[${a}]`, 'expected an object');
      const ref = optionalString(affect['ref'], source, `${field}.affects[${a}].ref`);
      if (!ref) continue;
      const bomRef = bomRefOf(ref);
      const purl = parsePurl(purlByRef.get(bomRef) ?? bomRef);
      if (purl) purls.push(purl);
      else otherProducts.push(bomRef);
    }
    const justification = optionalString(analysis['justification'], source, `${field}.analysis.justification`);
    const statement = optionalString(analysis['detail'], source, `${field}.analysis.detail`);
    statements.push({
      vulnerabilities,
      purls,
      otherProducts,
      status: state,
      suppresses: (SUPPRESSING_CYCLONEDX_STATES as readonly string[]).includes(state),
      ...(justification ? { justification } : {}),
      ...(statement ? { statement } : {}),
      order: index,
    });
  }
  return { format: 'cyclonedx', source, statements };
}

/** Parses a VEX document (OpenVEX or CycloneDX), recognised by its fields. */
export function parseVex(text: string, source: string): VexDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`${source}: not JSON: ${(error as Error).message}`);
  }
  if (!isObject(doc)) throw new BadInputError(`${source}: a VEX document is a JSON object`);
  const context = doc['@context'];
  if (typeof context === 'string' && context.startsWith('https://openvex.dev/ns')) return parseOpenVex(doc, source);
  if (doc['bomFormat'] === 'CycloneDX') return parseCycloneDxVex(doc, source);
  throw new BadInputError(`${source}: neither OpenVEX (@context https://openvex.dev/ns/...) nor CycloneDX VEX (bomFormat CycloneDX)`);
}

export async function readVex(file: string): Promise<VexDocument> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (error) {
    throw new BadInputError(cannotReadMessage(file, error, 'VEX file'));
  }
  if (size > MAX_VEX_BYTES) throw new BadInputError(`VEX file ${file} is ${size} bytes, over the ${MAX_VEX_BYTES}-byte limit`);
  return parseVex(await readFile(file, 'utf8'), file);
}

/**
 * Whether a statement's product purl covers a package purl: same type, namespace and name; the
 * version and each qualifier only when the statement gives them (`pkg:deb/debian/openssl`
 * speaks for every version, `pkg:deb/debian/openssl@3.0.11-1~deb12u2` for that one).
 */
export function purlCovers(product: PackageURL, pkg: PackageURL): boolean {
  if (product.type !== pkg.type || (product.namespace ?? '') !== (pkg.namespace ?? '') || product.name !== pkg.name) return false;
  if (product.version && product.version !== pkg.version) return false;
  for (const [key, value] of Object.entries(product.qualifiers ?? {})) {
    if (pkg.qualifiers?.[key] !== value) return false;
  }
  return true;
}

export interface VexSubject {
  /** The finding's id and aliases. */
  ids: readonly string[];
  purl?: string;
  /** Names of the scanned artifact (its digest and references) for statements about the image. */
  artifactNames: readonly string[];
}

/**
 * The statement that decides a finding, if any: among the statements naming one of its ids and
 * covering its package (or the whole artifact), the latest (by timestamp, then document order).
 */
export function vexStatementFor(documents: readonly VexDocument[], subject: VexSubject): (VexStatement & { source: string }) | undefined {
  let pkg: PackageURL | undefined;
  try {
    pkg = subject.purl ? PackageURL.fromString(subject.purl) : undefined;
  } catch {
    pkg = undefined;
  }
  // Timestamps compare as instants (offsets differ between documents); none sorts first.
  const time = (s: VexStatement): number => (s.timestamp ? Date.parse(s.timestamp) || 0 : 0);
  let best: (VexStatement & { source: string; docIndex: number }) | undefined;
  documents.forEach((doc, docIndex) => {
    for (const statement of doc.statements) {
      if (!statement.vulnerabilities.some((v) => subject.ids.includes(v))) continue;
      const coversPackage = pkg !== undefined && statement.purls.some((p) => purlCovers(p, pkg));
      const coversArtifact = statement.otherProducts.some((p) => subject.artifactNames.includes(p));
      if (!coversPackage && !coversArtifact) continue;
      const later =
        !best ||
        time(statement) > time(best) ||
        (time(statement) === time(best) && (docIndex > best.docIndex || (docIndex === best.docIndex && statement.order > best.order)));
      if (later) best = { ...statement, source: doc.source, docIndex };
    }
  });
  if (!best) return undefined;
  const { docIndex: _docIndex, ...statement } = best;
  return statement;
}

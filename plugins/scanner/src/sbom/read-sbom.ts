import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { PackageURL } from 'packageurl-js';
import { BadInputError, type ArtifactResult, type OsInfo, type PackageResult } from '@bulkhead/plugin-sdk';

/*
 * `sbom:<file>` as a scan target: a CycloneDX (1.2–1.6) or SPDX (2.2/2.3) JSON document in,
 * its packages out, to be matched like an image's inventory. Each package is known by its purl
 * (CycloneDX `purl`, SPDX externalRefs PACKAGE-MANAGER/purl): the purl gives type, name and
 * version, named as our analyzers name them (npm `@scope/name`, Maven `group:artifact`, Go
 * `module/path`). Debian packages are matched by source package, so the source name and version
 * are read where SBOM writers put them: our own and Trivy's component properties
 * (`bulkhead:package:sourceName`, `aquasecurity:trivy:SrcName` …), Syft's `upstream` qualifier,
 * SPDX `sourceInfo`. The OS comes from the SBOM's operating-system component (CycloneDX) or
 * OPERATING-SYSTEM package (SPDX), else from a purl's `distro` qualifier.
 */

/** Larger documents are refused: the whole document is parsed at once. */
export const MAX_SBOM_BYTES = 256 * 1024 * 1024;
/** Components nest (CycloneDX `components[].components`): deeper is not a real SBOM. */
const MAX_COMPONENT_DEPTH = 64;
/** Packages in one SBOM; an image has thousands, a hostile file millions. */
const MAX_PACKAGES = 1_000_000;

export interface SbomInventory {
  format: 'cyclonedx' | 'spdx';
  artifact: ArtifactResult;
  packages: PackageResult[];
  /** Components skipped without failing (no purl, unreadable purl), counted for the log. */
  skipped: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The name our analyzers give a package of this purl type (what matching expects). */
export function packageNameOf(purl: PackageURL): string {
  const ns = purl.namespace;
  switch (purl.type) {
    case 'npm':
      return ns ? `${ns}/${purl.name}` : purl.name;
    case 'maven':
      return ns ? `${ns}:${purl.name}` : purl.name;
    case 'golang':
    case 'composer':
      return ns ? `${ns}/${purl.name}` : purl.name;
    default:
      return purl.name;
  }
}

/** `debian-12`, `alpine-3.19.1`, `debian-12.4` (purl `distro` qualifiers as Syft and Trivy write them). */
function osFromDistro(distro: string | undefined, purlNamespace: string | undefined): OsInfo | undefined {
  if (!distro) return undefined;
  const match = /^([a-z][a-z0-9._-]*?)-(\d[\w.]*)$/i.exec(distro);
  if (match) return { family: (match[1] ?? '').toLowerCase(), version: match[2] ?? '' };
  // Trivy's form for Alpine: `distro=3.19.1` with the family in the namespace.
  if (/^\d/.test(distro) && purlNamespace) return { family: purlNamespace.toLowerCase(), version: distro };
  return undefined;
}

interface PackageFacts {
  purl: string;
  sourceName?: string;
  sourceVersion?: string;
  path?: string;
}

function toPackage(facts: PackageFacts, where: string, skipped: string[]): { pkg: PackageResult; os?: OsInfo } | undefined {
  let purl: PackageURL;
  try {
    purl = PackageURL.fromString(facts.purl);
  } catch (error) {
    skipped.push(`${where}: purl ${JSON.stringify(facts.purl.slice(0, 200))} does not parse: ${(error as Error).message}`);
    return undefined;
  }
  if (!purl.version) {
    skipped.push(`${where}: purl ${facts.purl.slice(0, 200)} has no version`);
    return undefined;
  }
  const upstream = purl.qualifiers?.['upstream'];
  let sourceName = facts.sourceName;
  let sourceVersion = facts.sourceVersion;
  if (!sourceName && upstream) {
    // Syft: `upstream=openssl` or `upstream=openssl@3.0.11-1`.
    const at = upstream.indexOf('@');
    sourceName = at < 0 ? upstream : upstream.slice(0, at);
    if (at >= 0) sourceVersion ??= upstream.slice(at + 1);
  }
  // rpm (and some deb) purls carry the epoch as a qualifier; our inventory writes `epoch:version`.
  const epoch = purl.qualifiers?.['epoch'];
  const version = epoch && epoch !== '0' && !purl.version.includes(':') ? `${epoch}:${purl.version}` : purl.version;
  const pkg: PackageResult = {
    type: purl.type,
    name: packageNameOf(purl),
    version,
    purl: facts.purl,
    ...(sourceName ? { sourceName } : {}),
    ...(sourceName || sourceVersion ? { sourceVersion: sourceVersion ?? version } : {}),
    ...(facts.path ? { path: facts.path } : {}),
  };
  const os = osFromDistro(purl.qualifiers?.['distro'], purl.namespace ?? undefined);
  return { pkg, ...(os ? { os } : {}) };
}

function propertiesOf(component: Json): Map<string, string> {
  const map = new Map<string, string>();
  const properties = component['properties'];
  if (Array.isArray(properties)) {
    for (const p of properties) {
      if (isObject(p) && typeof p['name'] === 'string' && typeof p['value'] === 'string') map.set(p['name'], p['value']);
    }
  }
  return map;
}

/** Trivy splits the source version: SrcEpoch:SrcVersion-SrcRelease. */
function trivySourceVersion(props: Map<string, string>): string | undefined {
  const version = props.get('aquasecurity:trivy:SrcVersion');
  if (!version) return undefined;
  const epoch = props.get('aquasecurity:trivy:SrcEpoch');
  const release = props.get('aquasecurity:trivy:SrcRelease');
  return `${epoch && epoch !== '0' ? `${epoch}:` : ''}${version}${release ? `-${release}` : ''}`;
}

function readCycloneDx(doc: Json, source: string, skipped: string[]): { packages: PackageResult[]; os?: OsInfo; osFromPurls?: OsInfo } {
  const packages: PackageResult[] = [];
  let os: OsInfo | undefined;
  let osFromPurls: OsInfo | undefined;
  const stack: { list: unknown; field: string; depth: number }[] = [{ list: doc['components'], field: 'components', depth: 0 }];
  const metadata = doc['metadata'];
  if (isObject(metadata) && isObject(metadata['component'])) stack.push({ list: [metadata['component']], field: 'metadata.component', depth: 0 });
  while (stack.length > 0) {
    const { list, field, depth } = stack.pop() as { list: unknown; field: string; depth: number };
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new BadInputError(`${source}: ${field}: expected an array`);
    if (depth > MAX_COMPONENT_DEPTH) throw new BadInputError(`${source}: ${field}: components nested deeper than ${MAX_COMPONENT_DEPTH} levels`);
    list.forEach((component, index) => {
      const where = `${field}[${index}]`;
      if (!isObject(component)) throw new BadInputError(`${source}: ${where}: expected an object`);
      if (component['components'] !== undefined) stack.push({ list: component['components'], field: `${where}.components`, depth: depth + 1 });
      if (component['type'] === 'operating-system') {
        const family = str(component['name']);
        const version = str(component['version']);
        if (family && version) os ??= { family: family.toLowerCase(), version };
        return;
      }
      const purl = str(component['purl']);
      if (!purl) return; // the image itself, files, applications without a package identity
      const props = propertiesOf(component);
      const sourceName = props.get('bulkhead:package:sourceName') ?? props.get('aquasecurity:trivy:SrcName') ?? props.get('syft:metadata:source');
      const sourceVersion = props.get('bulkhead:package:sourceVersion') ?? trivySourceVersion(props) ?? props.get('syft:metadata:sourceVersion');
      const filePath = props.get('bulkhead:package:path') ?? props.get('aquasecurity:trivy:FilePath');
      const result = toPackage({ purl, ...(sourceName ? { sourceName } : {}), ...(sourceVersion ? { sourceVersion } : {}), ...(filePath ? { path: filePath } : {}) }, `${source}: ${where}`, skipped);
      if (!result) return;
      if (packages.length >= MAX_PACKAGES) throw new BadInputError(`${source}: more than ${MAX_PACKAGES} packages`);
      packages.push(result.pkg);
      osFromPurls ??= result.os;
    });
  }
  return { packages, ...(os ? { os } : {}), ...(osFromPurls ? { osFromPurls } : {}) };
}

function readSpdx(doc: Json, source: string, skipped: string[]): { packages: PackageResult[]; os?: OsInfo; osFromPurls?: OsInfo } {
  const list = doc['packages'];
  if (list !== undefined && !Array.isArray(list)) throw new BadInputError(`${source}: packages: expected an array`);
  const packages: PackageResult[] = [];
  let os: OsInfo | undefined;
  let osFromPurls: OsInfo | undefined;
  (list ?? []).forEach((raw: unknown, index: number) => {
    const where = `packages[${index}]`;
    if (!isObject(raw)) throw new BadInputError(`${source}: ${where}: expected an object`);
    // Trivy before SPDX 2.3's primaryPackagePurpose names the OS package by its SPDXID.
    if (raw['primaryPackagePurpose'] === 'OPERATING-SYSTEM' || (typeof raw['SPDXID'] === 'string' && raw['SPDXID'].startsWith('SPDXRef-OperatingSystem-'))) {
      const family = str(raw['name']);
      const version = str(raw['versionInfo']);
      if (family && version) os ??= { family: family.toLowerCase(), version };
      return;
    }
    const refs = raw['externalRefs'];
    if (refs !== undefined && !Array.isArray(refs)) throw new BadInputError(`${source}: ${where}.externalRefs: expected an array`);
    const purlRef = (refs ?? []).find((r: unknown) => isObject(r) && r['referenceType'] === 'purl' && typeof r['referenceLocator'] === 'string') as Json | undefined;
    const purl = purlRef ? str(purlRef['referenceLocator']) : undefined;
    if (!purl) return;
    // Our SPDX writer puts "built from <source> <version>" in sourceInfo; Trivy writes "built package from: <name> <version>".
    const built = /^built (?:package )?from:? (\S+) (\S+)$/.exec(str(raw['sourceInfo']) ?? '');
    const result = toPackage({ purl, ...(built ? { sourceName: built[1] ?? '', sourceVersion: built[2] ?? '' } : {}) }, `${source}: ${where}`, skipped);
    if (!result) return;
    if (packages.length >= MAX_PACKAGES) throw new BadInputError(`${source}: more than ${MAX_PACKAGES} packages`);
    packages.push(result.pkg);
    osFromPurls ??= result.os;
  });
  return { packages, ...(os ? { os } : {}), ...(osFromPurls ? { osFromPurls } : {}) };
}

/** Parses SBOM bytes (the file name only labels errors and the artifact). */
export function parseSbom(bytes: Buffer, file: string): SbomInventory {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    // RangeError: nesting deep enough to exhaust the parser's stack.
    throw new BadInputError(`${file}: not a JSON SBOM: ${(error as Error).message}`);
  }
  if (!isObject(doc)) throw new BadInputError(`${file}: an SBOM is a JSON object`);
  const skipped: string[] = [];
  let format: SbomInventory['format'];
  let read: ReturnType<typeof readCycloneDx>;
  if (doc['bomFormat'] === 'CycloneDX') {
    format = 'cyclonedx';
    read = readCycloneDx(doc, file, skipped);
  } else if (typeof doc['spdxVersion'] === 'string') {
    if (!/^SPDX-2\.[0-3]$/.test(doc['spdxVersion'])) throw new BadInputError(`${file}: spdxVersion ${doc['spdxVersion']} is not supported (SPDX 2.x JSON)`);
    format = 'spdx';
    read = readSpdx(doc, file, skipped);
  } else {
    throw new BadInputError(`${file}: neither CycloneDX JSON (bomFormat) nor SPDX JSON (spdxVersion)`);
  }
  const os = read.os ?? read.osFromPurls;
  const artifact: ArtifactResult = {
    // The document's content digest: the same SBOM scanned twice is the same artifact.
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
    references: [`sbom:${file}`],
    ...(os ? { os } : {}),
    size: bytes.length,
    layers: [],
    metadata: { source: 'sbom', format, file: path.basename(file) },
  };
  return { format, artifact, packages: read.packages, skipped };
}

/** Reads an `sbom:<file>` target. */
export async function readSbom(file: string): Promise<SbomInventory> {
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new BadInputError(`sbom:${file} is not a regular file`);
    size = info.size;
  } catch (error) {
    if (error instanceof BadInputError) throw error;
    throw new BadInputError(`cannot read sbom:${file}: ${(error as Error).message}`);
  }
  if (size > MAX_SBOM_BYTES) throw new BadInputError(`sbom:${file} is ${size} bytes, over the ${MAX_SBOM_BYTES}-byte limit`);
  return parseSbom(await readFile(file), file);
}

export const SBOM_PREFIX = 'sbom:';

export function isSbomReference(reference: string): boolean {
  return reference.startsWith(SBOM_PREFIX);
}

export function sbomFileOf(reference: string): string {
  const file = reference.slice(SBOM_PREFIX.length);
  if (!file) throw new BadInputError('sbom: needs a file, e.g. sbom:./bom.cdx.json');
  return file;
}

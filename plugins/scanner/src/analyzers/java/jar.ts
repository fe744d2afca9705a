import { BadInputError } from '@bulkhead/plugin-sdk';
import { XMLParser } from 'fast-xml-parser';
import { manifestCoordinates, parseManifest, MAX_MANIFEST_BYTES, type Manifest } from './manifest';
import { DEFAULT_ZIP_LIMITS, zipEntries, type ZipBudget, type ZipLimits } from './zip-archive';

/** A Maven artifact found in a Java archive. */
export interface JavaPackage {
  /** `groupId:artifactId`. */
  name: string;
  version: string;
  /**
   * The archive it was found in, as Trivy writes it: the file's path, then the path inside it
   * for nested archives (`app/x.war/WEB-INF/lib/y.jar`).
   */
  filePath: string;
  licenses?: string[];
}

/** pom.properties and pom.xml are small; anything larger is not what Maven writes. */
const MAX_METADATA_BYTES = 4 * 1024 * 1024;

/** `spring-core-5.3.4-SNAPSHOT.jar` → artifactId `spring-core`, version `5.3.4-SNAPSHOT` (Trivy's pattern). */
const JAR_FILE_NAME = /^([a-zA-Z0-9._-]*[^-*])-(\d\S*(?:-SNAPSHOT)?)\.jar$/;

const ARCHIVE_SUFFIXES = ['.jar', '.war', '.ear', '.par'];

/** `.jar`, `.war`, `.ear`, `.par` (any case); called for every path of an image, so no regex. */
export function isJavaArchive(name: string): boolean {
  const dot = name.length - 4;
  if (dot < 0 || name.charCodeAt(dot) !== 46) return false;
  return ARCHIVE_SUFFIXES.includes(name.slice(dot).toLowerCase());
}

/**
 * Lists the Maven artifacts of a JAR/WAR/EAR as Trivy does offline: one per
 * `pom.properties` with a groupId, artifactId and version (a fat jar has several); the nested
 * archives' artifacts, recursively; and, when no pom.properties describes the archive itself
 * (matched by the file name's artifactId and version), the artifact its MANIFEST.MF names.
 * Licences come from the embedded `META-INF/maven/<g>/<a>/pom.xml` and Jenkins'
 * `Plugin-License-Name` manifest attributes. What Trivy finds only online (Maven Central lookups
 * by SHA-1 or artifactId) is not attempted: a scan never sends image contents anywhere.
 *
 * A nested archive that cannot be read is skipped (as Trivy does); the top archive's problems
 * are BadInputErrors naming it.
 */
export async function parseJavaArchive(content: Buffer, filePath: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS, budget: ZipBudget = { used: 0 }, depth = 0): Promise<JavaPackage[]> {
  const fileName = filePath.slice(filePath.lastIndexOf('/') + 1);
  const fromName = JAR_FILE_NAME.exec(fileName);
  const packages: JavaPackage[] = [];
  const pomLicenses = new Map<string, string[]>();
  let manifest: Manifest | undefined;
  let describesItself = false;
  for await (const entry of zipEntries(content, filePath, limits, budget)) {
    const base = entry.name.slice(entry.name.lastIndexOf('/') + 1);
    if (base === 'pom.xml') {
      const ga = /^META-INF\/maven\/([^/]+)\/([^/]+)\/pom\.xml$/.exec(entry.name);
      if (!ga) continue;
      const names = embeddedPomLicenses(await entry.read(MAX_METADATA_BYTES));
      if (names.length > 0) pomLicenses.set(`${ga[1]}:${ga[2]}`, names);
    } else if (base === 'pom.properties') {
      const props = parsePomProperties((await entry.read(MAX_METADATA_BYTES)).toString('utf8'));
      if (props.groupId && props.artifactId && props.version) {
        packages.push({ name: `${props.groupId}:${props.artifactId}`, version: props.version, filePath });
        if (fromName && fromName[1] === props.artifactId && fromName[2] === props.version) describesItself = true;
      }
    } else if (base === 'MANIFEST.MF') {
      manifest = parseManifest((await entry.read(MAX_MANIFEST_BYTES)).toString('utf8'));
    } else if (isJavaArchive(base)) {
      if (depth + 1 > limits.maxDepth) continue;
      try {
        const inner = await entry.read(limits.maxNestedBytes);
        packages.push(...(await parseJavaArchive(inner, `${filePath}/${entry.name}`, limits, budget, depth + 1)));
      } catch (error) {
        if (!(error instanceof BadInputError)) throw error;
        // An unreadable nested archive loses its own artifacts only; a blown budget is the
        // whole archive's problem.
        if (/inflates to more than/.test(error.message)) throw error;
      }
    }
  }
  if (!describesItself && manifest) {
    const coordinates = manifestCoordinates(manifest);
    if (coordinates) packages.push({ name: `${coordinates.groupId}:${coordinates.artifactId}`, version: coordinates.version, filePath });
  }
  for (const pkg of packages) {
    const licenses = pomLicenses.get(pkg.name);
    if (licenses && !pkg.licenses) pkg.licenses = licenses;
  }
  if (manifest && manifest.pluginLicenses.length > 0) {
    const own = packages.filter((p) => p.filePath === filePath);
    const first = own[0];
    if (own.length === 1 && first && !first.licenses) first.licenses = manifest.pluginLicenses;
  }
  return removeDuplicates(packages);
}

/** `key=value` lines (`#` comments); only the three coordinates matter. */
function parsePomProperties(text: string): { groupId?: string; artifactId?: string; version?: string } {
  const props: Record<string, string> = {};
  for (const raw of text.split(/\r\n|\n|\r/)) {
    const line = raw.trim();
    for (const key of ['groupId', 'artifactId', 'version']) {
      if (line.startsWith(`${key}=`)) props[key] = line.slice(key.length + 1);
    }
  }
  return props;
}

const licenseParser = new XMLParser({ ignoreAttributes: true, processEntities: false, isArray: (name) => name === 'license' });

/** `<licenses><license><name>` values of an embedded pom.xml (empty when it does not parse). */
function embeddedPomLicenses(xml: Buffer): string[] {
  try {
    const doc = licenseParser.parse(xml.toString('utf8')) as { project?: { licenses?: { license?: { name?: unknown }[] } } };
    return (doc.project?.licenses?.license ?? []).map((l) => (typeof l.name === 'string' ? l.name.trim() : '')).filter((n) => n !== '');
  } catch {
    return [];
  }
}

/**
 * One artifact per name, archive and version (Trivy's removePackageDuplicates): Maven versions
 * that differ only by trailing zero segments (`2.17` and `2.17.0`) are the same version.
 */
function removeDuplicates(packages: readonly JavaPackage[]): JavaPackage[] {
  const seen = new Set<string>();
  const normal = (v: string): string => v.toLowerCase().replace(/(?:\.0+)+(?=$|-)/, '');
  return packages.filter((p) => {
    const key = `${p.name}\u0000${p.filePath}\u0000${normal(p.version)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** What a MANIFEST.MF main section says about the archive (Trivy's selection of attributes). */
export interface Manifest {
  attributes: Map<string, string>;
  /** Jenkins `Plugin-License-Name[-N]` values, in order. */
  pluginLicenses: string[];
}

/** Largest manifest read (real ones are a few KB; Trivy's limit). */
export const MAX_MANIFEST_BYTES = 10 * 1024 * 1024;

const ATTRIBUTES = [
  'Implementation-Version',
  'Implementation-Title',
  'Implementation-Vendor',
  'Implementation-Vendor-Id',
  'Specification-Title',
  'Specification-Version',
  'Specification-Vendor',
  'Bundle-Name',
  'Bundle-Version',
  'Bundle-SymbolicName',
];

/**
 * Reads the main section of a JAR manifest (up to the first empty line; later sections describe
 * entries, not the archive). Lines end with CRLF, LF or a lone CR; a line starting with one space
 * continues the previous one. Values that are variables (`Bundle-Name: %bundleName`) are ignored.
 */
export function parseManifest(text: string): Manifest {
  const manifest: Manifest = { attributes: new Map(), pluginLicenses: [] };
  const add = (line: string): void => {
    const fields = line.trim().split(/\s+/);
    if (fields.length <= 1 || (fields[1] ?? '').startsWith('%')) return;
    const colon = line.indexOf(':');
    if (colon < 0) return;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (ATTRIBUTES.includes(key)) manifest.attributes.set(key, value);
    else if ((key === 'Plugin-License-Name' || key.startsWith('Plugin-License-Name-')) && value !== '') manifest.pluginLicenses.push(value);
  };
  let attribute = '';
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (line === '') break;
    if (line.startsWith(' ')) {
      attribute += line.slice(1);
      continue;
    }
    add(attribute);
    attribute = line;
  }
  add(attribute);
  return manifest;
}

/**
 * groupId, artifactId and version from the manifest, by Trivy's precedence; undefined when one
 * of them is missing. groupId: Implementation-Vendor-Id, else Bundle-SymbolicName without its
 * last dot-segment, else Implementation-Vendor, else Specification-Vendor.
 */
export function manifestCoordinates(manifest: Manifest): { groupId: string; artifactId: string; version: string } | undefined {
  const get = (key: string): string | undefined => manifest.attributes.get(key) || undefined;
  const symbolic = get('Bundle-SymbolicName');
  const symbolicGroup = symbolic !== undefined && symbolic.includes('.') ? symbolic.slice(0, symbolic.lastIndexOf('.')) : symbolic;
  const groupId = get('Implementation-Vendor-Id') ?? symbolicGroup ?? get('Implementation-Vendor') ?? get('Specification-Vendor');
  const artifactId = get('Implementation-Title') ?? get('Specification-Title') ?? get('Bundle-Name');
  const version = get('Implementation-Version') ?? get('Specification-Version') ?? get('Bundle-Version');
  return groupId && artifactId && version ? { groupId: groupId.trim(), artifactId: artifactId.trim(), version: version.trim() } : undefined;
}

/**
 * Package URLs (https://github.com/package-url/purl-spec). Components are percent-encoded except
 * the unreserved characters and `:` (which the spec says must never be encoded); qualifiers are
 * sorted by key and empty ones dropped.
 */
export function packageUrl(type: string, namespace: string | undefined, name: string, version: string | undefined, qualifiers: Record<string, string | undefined> = {}): string {
  const ns = namespace ? `${encodeComponent(namespace)}/` : '';
  const at = version ? `@${encodeComponent(version)}` : '';
  const query = Object.entries(qualifiers)
    .filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key.toLowerCase()}=${encodeComponent(value)}`)
    .join('&');
  return `pkg:${type}/${ns}${encodeComponent(name)}${at}${query ? `?${query}` : ''}`;
}

function encodeComponent(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9.\-_~:]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** One stanza of a Debian control-style file (dpkg status): field name → value. */
export type Stanza = Map<string, string>;

/**
 * Parses RFC 822-style stanzas as dpkg writes them: `Field: value`, continuation lines starting
 * with a space or tab, stanzas separated by blank lines. Field names are compared
 * case-insensitively by dpkg, so they are stored lower-cased.
 */
export function parseStanzas(text: string): Stanza[] {
  const stanzas: Stanza[] = [];
  let current: Stanza = new Map();
  let lastField: string | undefined;
  for (const line of text.split('\n')) {
    const trimmedEnd = line.replace(/\r$/, '');
    if (trimmedEnd.trim() === '') {
      if (current.size > 0) stanzas.push(current);
      current = new Map();
      lastField = undefined;
      continue;
    }
    if (trimmedEnd.startsWith(' ') || trimmedEnd.startsWith('\t')) {
      if (lastField) current.set(lastField, `${current.get(lastField)}\n${trimmedEnd.slice(1)}`);
      continue;
    }
    const colon = trimmedEnd.indexOf(':');
    if (colon <= 0) continue;
    lastField = trimmedEnd.slice(0, colon).toLowerCase();
    current.set(lastField, trimmedEnd.slice(colon + 1).trim());
  }
  if (current.size > 0) stanzas.push(current);
  return stanzas;
}

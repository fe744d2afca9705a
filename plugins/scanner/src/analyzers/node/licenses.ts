/**
 * The licences of a package.json `license` / lockfile `license` value: an SPDX expression
 * string, or the legacy `{type}` object or array of objects. Values of any other shape (numbers,
 * arrays of strings, objects without `type`) carry no licence we can name (Trivy's rules).
 */
export function npmLicenses(value: unknown): string[] {
  if (typeof value === 'string') return value ? [value] : [];
  const typeOf = (item: unknown): string | undefined => {
    const type = item !== null && typeof item === 'object' ? (item as { type?: unknown }).type : undefined;
    return typeof type === 'string' && type !== '' ? type : undefined;
  };
  if (Array.isArray(value)) return value.flatMap((item) => typeOf(item) ?? []);
  const type = typeOf(value);
  return type ? [type] : [];
}

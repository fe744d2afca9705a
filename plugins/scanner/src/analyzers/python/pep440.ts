/**
 * A version PEP 440 accepts (the canonical regular expression of PEP 440, appendix B, which
 * `packaging.version` uses): `1.0`, `2!1.0.post1.dev3`, `1.0rc1+local.7`. Ordering is the
 * matcher's business (libs/vulndb version/); the analyzers only need to refuse what is no
 * version at all (`'invalid-version'`, template placeholders).
 */
const PEP440 =
  /^v?(?:(?:[0-9]+)!)?[0-9]+(?:\.[0-9]+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?[0-9]*)?(?:(?:-[0-9]+)|(?:[-_.]?(?:post|rev|r)[-_.]?[0-9]*))?(?:[-_.]?dev[-_.]?[0-9]*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?$/i;

export function isPep440Version(version: string): boolean {
  return PEP440.test(version.trim());
}

/** PEP 508 / core metadata distribution names: ASCII letters and digits, inner `.`, `_`, `-`. */
const NAME = /^(?:[A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

export function isValidDistributionName(name: string): boolean {
  return NAME.test(name);
}

/** PEP 503 normalised name: what package indexes and advisories compare (`Flask_Login` → `flask-login`). */
export function normalizePythonName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, '-');
}

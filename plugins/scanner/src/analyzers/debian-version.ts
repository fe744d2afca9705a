/**
 * Checks a Debian version string against deb-version(7): `[epoch:]upstream[-revision]`, epoch
 * numeric, upstream starting with a digit and made of alphanumerics and `.+~-:` (`-` only when a
 * revision follows, `:` only with an epoch), revision of alphanumerics and `.+~`. dpkg refuses to
 * install packages with other versions, so a stanza carrying one is corrupt.
 */
export function isValidDebianVersion(version: string): boolean {
  const epochMatch = /^(\d+):(.*)$/.exec(version);
  const rest = epochMatch?.[2] ?? version;
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : undefined;
  const upstreamPattern = epochMatch ? /^[0-9][A-Za-z0-9.+~:-]*$/ : /^[0-9][A-Za-z0-9.+~-]*$/;
  if (!upstreamPattern.test(upstream)) return false;
  return revision === undefined || /^[A-Za-z0-9.+~]+$/.test(revision);
}

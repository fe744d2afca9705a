import type { Analyzer, OsInfo } from '@bulkhead/plugin-sdk';

const OS_RELEASE = ['etc/os-release', 'usr/lib/os-release'];
const ALPINE_RELEASE = 'etc/alpine-release';
const DEBIAN_VERSION = 'etc/debian_version';
const WANTED = new Set([...OS_RELEASE, ALPINE_RELEASE, DEBIAN_VERSION]);

/** Parses os-release(5): `KEY=value`, values optionally quoted, shell-style backslash escapes. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1);
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\`$])/g, '$1');
    }
    fields[line.slice(0, eq)] = value;
  }
  return fields;
}

/**
 * Detects the distribution. os-release wins (etc/ before usr/lib/, as systemd reads them); a
 * Debian os-release without VERSION_ID (testing, sid) falls back to etc/debian_version; images
 * without os-release fall back to etc/alpine-release or etc/debian_version.
 */
export const osReleaseAnalyzer: Analyzer = {
  id: 'os-release',
  version: '1.0.0',
  stage: 'os',
  maxFileSize: 64 * 1024,
  wants: (path) => WANTED.has(path),
  analyze(files) {
    const byPath = new Map(files.map((f) => [f.path, f.content.toString('utf8')]));
    const debianVersion = byPath.get(DEBIAN_VERSION)?.trim();
    for (const path of OS_RELEASE) {
      const text = byPath.get(path);
      if (text === undefined) continue;
      const fields = parseOsRelease(text);
      const family = fields['ID']?.toLowerCase();
      if (!family) continue;
      const version = fields['VERSION_ID'] ?? (family === 'debian' && debianVersion ? debianMajor(debianVersion) : undefined);
      if (!version) continue;
      return { os: withName({ family, version }, fields['PRETTY_NAME']) };
    }
    const alpine = byPath.get(ALPINE_RELEASE)?.trim();
    if (alpine) return { os: { family: 'alpine', version: alpine } };
    if (debianVersion) return { os: { family: 'debian', version: debianMajor(debianVersion) } };
    return {};
  },
};

/** `12.5` → `12` (Debian names releases by major version); `bookworm/sid` stays as it is. */
function debianMajor(version: string): string {
  const match = /^(\d+)(?:\.\d+)*$/.exec(version);
  return match?.[1] ?? version;
}

function withName(os: OsInfo, name: string | undefined): OsInfo {
  return name ? { ...os, name } : os;
}

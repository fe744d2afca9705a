import { BadInputError } from '@bulkhead/plugin-sdk';
import type { GoModule } from './go-module';
import { goModuleId } from './go-module';
import { goUnquote, shellWords } from './go-string';
import type { ObjectFile } from './object-file';

/** `\xff Go buildinf:`: the start of the build info blob the Go linker writes (debug/buildinfo). */
export const BUILDINFO_MAGIC = Buffer.from('ff20476f206275696c64696e663a', 'hex');
const HEADER_SIZE = 32;
const ALIGN = 16;
/** debug/buildinfo searches this many bytes from the data start for the magic. */
const SEARCH_WINDOW = 64 * 1024;
/** Longest version or modinfo string accepted (real ones are a few KB). */
const MAX_STRING = 4 * 1024 * 1024;
const FLAGS_ENDIAN_BIG = 0x1;
const FLAGS_VERSION_INL = 0x2;

export interface RawBuildInfo {
  /** `go1.22.1`, `go1.22.1 X:loopvar`. */
  goVersion: string;
  /** The modinfo text (`path\t…\nmod\t…\ndep\t…`), without its sentinels; empty when absent. */
  modinfo: string;
}

/**
 * Finds the build info blob of a Go executable as debug/buildinfo does: from the data start
 * (`.go.buildinfo` / `__go_buildinfo`, else the first writable data segment), the first
 * 16-byte-aligned magic within 64 KiB. Undefined when the binary is not a Go program.
 */
export function findBuildInfo(object: ObjectFile, file: string): RawBuildInfo | undefined {
  if (object.dataStart === undefined) return undefined;
  const window = object.read(object.dataStart, SEARCH_WINDOW);
  if (!window) return undefined;
  for (let from = 0; from + HEADER_SIZE <= window.length; ) {
    const hit = window.indexOf(BUILDINFO_MAGIC, from);
    if (hit < 0) return undefined;
    if (hit % ALIGN === 0) {
      // The inline strings follow the header and may run past the search window.
      const blob = object.read(object.dataStart + BigInt(hit), HEADER_SIZE + 2 * (MAX_STRING + 10)) ?? window.subarray(hit);
      return decodeBuildInfo(blob, file, object);
    }
    from = hit + 1;
  }
  return undefined;
}

/**
 * Decodes a build info blob starting at its magic. Go 1.18+ writes the runtime version and the
 * modinfo inline after the 32-byte header as uvarint-length strings (flag 0x2); older linkers
 * wrote two pointers to Go string headers, which need the executable's address map (`object`).
 */
export function decodeBuildInfo(blob: Buffer, file: string, object?: ObjectFile): RawBuildInfo {
  if (blob.length < HEADER_SIZE || !blob.subarray(0, BUILDINFO_MAGIC.length).equals(BUILDINFO_MAGIC)) {
    throw new BadInputError(`${file}: no Go build info header`);
  }
  const ptrSize = blob[14] ?? 0;
  const flags = blob[15] ?? 0;
  let goVersion: string;
  let modinfo: string;
  if (flags & FLAGS_VERSION_INL) {
    let pos = HEADER_SIZE;
    const next = (): string => {
      const [length, after] = uvarint(blob, pos, file);
      if (length > MAX_STRING || after + length > blob.length) throw new BadInputError(`${file}: Go build info string of ${length} bytes runs past the data`);
      pos = after + length;
      return blob.toString('utf8', after, pos);
    };
    goVersion = next();
    modinfo = next();
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) throw new BadInputError(`${file}: Go build info pointer size ${ptrSize}`);
    if (!object) throw new BadInputError(`${file}: pre-1.18 Go build info needs the executable to resolve its pointers`);
    const bigEndian = (flags & FLAGS_ENDIAN_BIG) !== 0;
    const ptr = (buf: Buffer, at: number): bigint => {
      if (at + ptrSize > buf.length) throw new BadInputError(`${file}: truncated Go build info pointer`);
      if (ptrSize === 8) return bigEndian ? buf.readBigUInt64BE(at) : buf.readBigUInt64LE(at);
      return BigInt(bigEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at));
    };
    const goString = (addr: bigint): string => {
      const header = object.read(addr, 2 * ptrSize);
      if (!header || header.length < 2 * ptrSize) return '';
      const data = ptr(header, 0);
      const length = ptr(header, ptrSize);
      if (length === 0n || length > BigInt(MAX_STRING)) return '';
      const bytes = object.read(data, Number(length));
      return bytes && bytes.length === Number(length) ? bytes.toString('utf8') : '';
    };
    goVersion = goString(ptr(blob, 16));
    modinfo = goString(ptr(blob, 16 + ptrSize));
  }
  // The linker wraps modinfo in 16-byte sentinels; debug/buildinfo strips them this way.
  if (modinfo.length >= 33 && modinfo[modinfo.length - 17] === '\n') modinfo = modinfo.slice(16, -16);
  else modinfo = '';
  return { goVersion, modinfo };
}

function uvarint(buf: Buffer, start: number, file: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos < buf.length && pos < start + 10; pos++) {
    const byte = buf[pos] ?? 0;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, pos + 1];
    scale *= 128;
  }
  throw new BadInputError(`${file}: malformed varint in Go build info`);
}

interface ModuleLine {
  path: string;
  version: string;
}

/** runtime/debug.BuildInfo, as much of it as an inventory needs. */
export interface BuildInfo {
  goVersion: string;
  path: string;
  main?: ModuleLine;
  deps: (ModuleLine & { replace?: ModuleLine })[];
  settings: Map<string, string>;
}

/** runtime/debug.ParseBuildInfo: `path`, `mod`, `dep`, `=>` and `build` lines of modinfo. */
export function parseModinfo(raw: RawBuildInfo): BuildInfo {
  const info: BuildInfo = { goVersion: raw.goVersion, path: '', deps: [], settings: new Map() };
  const module = (rest: string): ModuleLine => {
    const [path = '', version = ''] = rest.split('\t');
    return { path, version };
  };
  for (const line of raw.modinfo.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const rest = line.slice(tab + 1);
    switch (line.slice(0, tab)) {
      case 'path':
        info.path = rest;
        break;
      case 'mod':
        info.main = module(rest);
        break;
      case 'dep':
        info.deps.push(module(rest));
        break;
      case '=>': {
        const last = info.deps.at(-1);
        if (last) last.replace = module(rest);
        break;
      }
      case 'build': {
        const setting = buildSetting(rest);
        if (setting) info.settings.set(setting[0], setting[1]);
        break;
      }
      default:
        break;
    }
  }
  return info;
}

/** `key=value`, either side Go-quoted when it holds special characters. */
function buildSetting(text: string): [string, string] | undefined {
  let key: string;
  let rest: string;
  if (text.startsWith('"')) {
    const end = text.indexOf('"=', 1);
    if (end < 0) return undefined;
    key = goUnquote(text.slice(0, end + 1)) ?? '';
    rest = text.slice(end + 2);
  } else {
    const eq = text.indexOf('=');
    if (eq < 0) return undefined;
    key = text.slice(0, eq);
    rest = text.slice(eq + 1);
  }
  const value = rest.startsWith('"') ? goUnquote(rest) : rest;
  return key && value !== undefined ? [key, value] : undefined;
}

/**
 * The modules of a Go binary as Trivy reports them: `stdlib` at the Go version the binary was
 * built with (`go1.22.1 X:loopvar` → `v1.22.1`), every dependency (replacements win) with an
 * unknown relationship, and the main module as the root, whose version comes from the module
 * version, or, for `(devel)` and `v0.0.0-…` pseudo-versions, from `-ldflags -X …version=`.
 */
export function goBinaryModules(info: BuildInfo, object?: ObjectFile): GoModule[] {
  const stdlibVersion = `v${(info.goVersion.replace(/^go/, '').split(' ')[0] ?? '')}`;
  const modules: GoModule[] = [{ id: goModuleId('stdlib', stdlibVersion), name: 'stdlib', version: stdlibVersion, relationship: 'direct' }];
  for (const dep of info.deps) {
    if (dep.path === '') continue;
    const mod = dep.replace ?? dep;
    const version = mod.version === '(devel)' ? '' : mod.version;
    modules.push({ id: goModuleId(mod.path, version), name: mod.path, version, relationship: 'unknown' });
  }
  if (info.main && info.main.path !== '') {
    let version = info.main.version === '(devel)' ? '' : info.main.version;
    const ldflags = ldflagsVersion(info.main.path, info.settings.get('-ldflags'));
    if (version === '' || (version.startsWith('v0.0.0') && ldflags !== '')) version = ldflags;
    if (version === '' && object) version = symbolVersion(object, info.main.path);
    modules.push({ id: goModuleId(info.main.path, version), name: info.main.path, version, relationship: 'root', dependsOn: modules.map((m) => m.id).sort() });
  }
  return modules.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
}

const DEFAULT_PREFIXES = ['main', 'common', 'version', 'cmd'];

/** The main module's version stamped with `-ldflags "-X <pkg>.version=<semver>"` (see chooseVersion). */
export function ldflagsVersion(modulePath: string, ldflags: string | undefined): string {
  if (!ldflags) return '';
  const words = shellWords(ldflags);
  if (!words) return '';
  const stamped = new Map<string, string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    let value: string | undefined;
    if (word === '-X') value = words[++i];
    else if (word.startsWith('-X=')) value = word.slice(3);
    else if (word.startsWith('-X')) value = word.slice(2);
    else if (word.startsWith('-') && !word.includes('=') && i + 1 < words.length && !(words[i + 1] ?? '').startsWith('-')) {
      // pflag with unknown flags allowed takes the next word as an unknown flag's value.
      i++;
      continue;
    } else continue;
    if (value === undefined) continue;
    for (const pair of value.split(',')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      stamped.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
  }
  return chooseVersion(
    modulePath,
    [...stamped].map(([key, value]) => [key.replace(/^'+/, ''), value.replace(/'+$/, '')]),
  );
}

const isVersionKey = (key: string): boolean => /\.(?:version|ver)$/i.test(key);

/**
 * Trivy's choice among stamped `key=value` versions: keys ending `.version`/`.ver` with a
 * semver value, preferring `<module>/cmd/…` keys, then `main.`/`common.`/`version.`/`cmd.` keys,
 * then any other; more than one candidate in the winning group means no version.
 */
function chooseVersion(modulePath: string, stamped: readonly (readonly [string, string])[]): string {
  const groups: string[][] = [[], [], []];
  for (const [key, value] of stamped) {
    if (!isVersionKey(key) || !(isSemver(value) || isSemver(`v${value}`))) continue;
    if (key.startsWith(`${modulePath}/cmd/`)) groups[0]?.push(value);
    else if (DEFAULT_PREFIXES.includes(versionPrefix(key))) groups[1]?.push(value);
    else groups[2]?.push(value);
  }
  for (const group of groups) {
    if (group.length === 0) continue;
    return group.length > 1 ? '' : (group[0] ?? '');
  }
  return '';
}

/**
 * The version stamped with `-X` read from the ELF symbol table, where `-trimpath` builds leave
 * `-ldflags` out of the build info (go.dev/issue/63432) but the linker still writes a
 * `<key>.str` symbol holding the value. Unstripped ELF binaries only (Trivy's fallback).
 */
export function symbolVersion(object: ObjectFile, modulePath: string): string {
  const symbols = object.symbolData((name) => name.endsWith('.str') && isVersionKey(name.slice(0, -4)), 256);
  return chooseVersion(
    modulePath,
    symbols.map(({ name, data }) => [name.slice(0, -4), data.toString('utf8').replace(/\0+$/, '')] as const),
  );
}

/** `github.com/x/y/pkg/Version.version` → `version`. */
function versionPrefix(key: string): string {
  const slash = key.lastIndexOf('/');
  const tail = slash > 0 ? key.slice(slash + 1) : key;
  return (tail.split('.')[0] ?? '').toLowerCase();
}

const NUM = '(?:0|[1-9]\\d*)';
const IDENT = '[0-9A-Za-z-]+';
/** golang.org/x/mod/semver.IsValid: `v1`, `v1.2`, `v1.2.3[-pre][+build]`. */
const SEMVER = new RegExp(`^v${NUM}(?:\\.${NUM}(?:\\.${NUM}(?:-${IDENT}(?:\\.${IDENT})*)?(?:\\+${IDENT}(?:\\.${IDENT})*)?)?)?$`);

function isSemver(value: string): boolean {
  if (!SEMVER.test(value)) return false;
  // Numeric prerelease identifiers may not have leading zeros.
  const pre = /^v\d+\.\d+\.\d+-([^+]+)/.exec(value)?.[1];
  return !pre || pre.split('.').every((id) => !/^0\d+$/.test(id));
}

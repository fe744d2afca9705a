import { BadInputError } from '@bulkhead/plugin-sdk';
import type { GoModule } from './go-module';
import { goModuleId, goVcsUrl } from './go-module';

/** One `module`, `go`, `toolchain`, `require` or `replace` statement of a go.mod file. */
interface ModFile {
  module?: string;
  go?: string;
  toolchain?: string;
  require: { path: string; version: string; indirect: boolean }[];
  replace: { oldPath: string; oldVersion?: string; newPath: string; newVersion?: string }[];
}

export interface GoModOptions {
  /** Apply `replace` directives (Trivy's default). */
  replace?: boolean;
  /**
   * Report the minimal Go toolchain (`toolchain`, else a `go` line of 1.21 or later) as `stdlib`.
   * Off by default as in Trivy: the go.mod names the minimum, not the toolchain the program is
   * built with, so stdlib advisories matched against it would mostly be false positives.
   */
  stdlib?: boolean;
}

/**
 * Parses a go.mod file the way Trivy's go.mod parser reads it (golang.org/x/mod/modfile
 * semantics for what we need): the main module (relationship `root`), its `require`d modules
 * (`direct`, or `indirect` when marked `// indirect`), `replace` directives applied to required
 * modules (a replacement by a local path drops the module: it is the user's own code; a
 * replacement whose left side names a version applies only to that version).
 *
 * Go before 1.17 (and a go.mod without a `go` line, which predates it) did not list every
 * indirect dependency in go.mod, so the `// indirect` requirements such a file does list are
 * incomplete and are left out here; the go.mod analyzer takes indirect modules from the sibling
 * go.sum instead (see goModAnalyzer).
 */
export function parseGoMod(text: string, file: string, options: GoModOptions = {}): GoModule[] {
  const mod = readModFile(text, file);
  const skipIndirect = mod.go === undefined || lessThan(mod.go, 1, 17);
  const modules = new Map<string, GoModule>();
  const direct: string[] = [];
  if (options.stdlib) {
    const toolchain = toolchainVersion(mod.toolchain, mod.go);
    if (toolchain) modules.set('stdlib', { id: goModuleId('stdlib', `v${toolchain}`), name: 'stdlib', version: `v${toolchain}`, relationship: 'direct' });
  }
  for (const req of mod.require) {
    if (skipIndirect && req.indirect) continue;
    modules.set(req.path, { id: goModuleId(req.path, req.version), name: req.path, version: req.version, relationship: req.indirect ? 'indirect' : 'direct' });
  }
  if (options.replace ?? true) {
    for (const rep of mod.replace) {
      const old = modules.get(rep.oldPath);
      if (!old || (rep.oldVersion !== undefined && rep.oldVersion !== old.version)) continue;
      modules.delete(rep.oldPath);
      // A replacement without a version is a local directory: the user's own code, no module version.
      if (rep.newVersion === undefined) continue;
      modules.set(rep.newPath, { id: goModuleId(rep.newPath, rep.newVersion), name: rep.newPath, version: rep.newVersion, relationship: old.relationship });
    }
  }
  for (const m of modules.values()) if (m.relationship === 'direct') direct.push(m.id);
  const result: GoModule[] = [];
  if (mod.module !== undefined) {
    result.push({ id: mod.module, name: mod.module, version: '', relationship: 'root', dependsOn: direct.sort() });
  }
  return [...result, ...modules.values()].map((m) => {
    const vcsUrl = m.name === 'stdlib' ? undefined : goVcsUrl(m.name);
    return vcsUrl ? { ...m, vcsUrl } : m;
  });
}

/** The Go version of a go.mod (`go 1.21`), or undefined without a `go` line. */
export function goModGoVersion(text: string, file: string): string | undefined {
  return readModFile(text, file).go;
}

/** `ver` (`1.16`, `1.22.0`) is below `major.minor`; unparsable versions are not (as Trivy). */
function lessThan(ver: string, major: number, minor: number): boolean {
  const parts = ver.split('.');
  if (parts.length !== 2) return false;
  const [maj, min] = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : Number.NaN));
  if (maj === undefined || min === undefined || Number.isNaN(maj) || Number.isNaN(min)) return false;
  return maj <= major && min < minor;
}

/**
 * The minimal toolchain version (go.dev/doc/toolchain): the `toolchain` line without its `go`
 * prefix and `-suffix`; else a `go` line of 1.21 or later (`1.22` → `1.22.0`, `1.22rc1` kept).
 */
function toolchainVersion(toolchain: string | undefined, go: string | undefined): string | undefined {
  if (toolchain) return (toolchain.split('-')[0] ?? '').replace(/^go/, '') || undefined;
  if (go === undefined) return undefined;
  let majorMinor: string;
  let version = go;
  const parts = go.split('.');
  if (parts.length > 2) majorMinor = parts.slice(0, 2).join('.');
  else if (go.includes('rc')) majorMinor = go.slice(0, go.indexOf('rc'));
  else {
    majorMinor = go;
    version = `${go}.0`;
  }
  return lessThan(majorMinor, 1, 21) ? undefined : version;
}

/** A go.mod line split into tokens (quoted strings unquoted) and its trailing `//` comment. */
interface ModLine {
  tokens: string[];
  comment: string;
  line: number;
}

/** Tokenises go.mod per modfile's lexer: `//` comments, "quoted" and `raw` strings, `(`/`)` blocks. */
function lexLines(text: string, file: string): ModLine[] {
  const lines: ModLine[] = [];
  const raw = text.split('\n');
  for (let i = 0; i < raw.length; i++) {
    const src = (raw[i] ?? '').replace(/\r$/, '');
    const tokens: string[] = [];
    let comment = '';
    let pos = 0;
    while (pos < src.length) {
      const ch = src[pos] ?? '';
      if (ch === ' ' || ch === '\t') {
        pos++;
      } else if (src.startsWith('//', pos)) {
        comment = src.slice(pos + 2).trim();
        break;
      } else if (ch === '"' || ch === '`') {
        const end = ch === '"' ? findClosingQuote(src, pos) : src.indexOf('`', pos + 1);
        if (end < 0) throw new BadInputError(`${file}:${i + 1}: unterminated string`);
        const literal = src.slice(pos, end + 1);
        tokens.push(ch === '"' ? unquote(literal, file, i + 1) : literal.slice(1, -1));
        pos = end + 1;
      } else if (ch === '(' || ch === ')') {
        tokens.push(ch);
        pos++;
      } else {
        let end = pos;
        while (end < src.length && !' \t"`()'.includes(src[end] ?? ' ') && !src.startsWith('//', end)) end++;
        tokens.push(src.slice(pos, end));
        pos = end;
      }
    }
    if (tokens.length > 0) lines.push({ tokens, comment, line: i + 1 });
  }
  return lines;
}

function findClosingQuote(src: string, start: number): number {
  for (let i = start + 1; i < src.length; i++) {
    if (src[i] === '\\') i++;
    else if (src[i] === '"') return i;
  }
  return -1;
}

function unquote(literal: string, file: string, line: number): string {
  try {
    return JSON.parse(literal) as string;
  } catch {
    throw new BadInputError(`${file}:${line}: invalid quoted string ${literal}`);
  }
}

/** modfile: a requirement is indirect when its comment is `indirect` or starts with `indirect;`. */
function isIndirect(comment: string): boolean {
  return comment === 'indirect' || comment.startsWith('indirect;');
}

function readModFile(text: string, file: string): ModFile {
  const mod: ModFile = { require: [], replace: [] };
  let block: string | undefined;
  for (const { tokens, comment, line } of lexLines(text, file)) {
    let verb: string;
    let args: string[];
    if (block !== undefined) {
      if (tokens[0] === ')') {
        block = undefined;
        continue;
      }
      verb = block;
      args = tokens;
    } else {
      verb = tokens[0] ?? '';
      args = tokens.slice(1);
      if (args[0] === '(') {
        if (args.length !== 1) throw new BadInputError(`${file}:${line}: unexpected tokens after "${verb} ("`);
        block = verb;
        continue;
      }
    }
    statement(mod, verb, args, comment, `${file}:${line}`);
  }
  if (block !== undefined) throw new BadInputError(`${file}: unterminated ${block} ( block`);
  return mod;
}

function statement(mod: ModFile, verb: string, args: string[], comment: string, where: string): void {
  switch (verb) {
    case 'module':
      if (args.length !== 1) throw new BadInputError(`${where}: usage: module module/path`);
      mod.module = args[0];
      return;
    case 'go':
      if (args.length !== 1 || !/^\d+(\.\d+)*((rc|beta)\d+)?$/.test(args[0] ?? '')) throw new BadInputError(`${where}: invalid go version ${JSON.stringify(args.join(' '))}`);
      mod.go = args[0];
      return;
    case 'toolchain':
      if (args.length !== 1) throw new BadInputError(`${where}: usage: toolchain name`);
      mod.toolchain = args[0];
      return;
    case 'require': {
      const [path, version] = args;
      if (args.length !== 2 || !path || !version) throw new BadInputError(`${where}: usage: require module/path v1.2.3`);
      mod.require.push({ path, version, indirect: isIndirect(comment) });
      return;
    }
    case 'replace': {
      const arrow = args.indexOf('=>');
      const left = args.slice(0, arrow);
      const right = args.slice(arrow + 1);
      if (arrow < 1 || left.length > 2 || right.length < 1 || right.length > 2) {
        throw new BadInputError(`${where}: usage: replace module/path [v1.2.3] => other/module v1.4 | ./local/path`);
      }
      mod.replace.push({ oldPath: left[0] ?? '', oldVersion: left[1], newPath: right[0] ?? '', newVersion: right[1] });
      return;
    }
    // exclude, retract, godebug, tool, ignore: nothing a package inventory needs.
    default:
      return;
  }
}

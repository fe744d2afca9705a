import type { Severity } from '@bulkhead/plugin-sdk';
import { BUILTIN_ALLOW_RULES, BUILTIN_RULES } from './builtin-rules';
import type { SecretConfig } from './config';
import type { GoRegexp } from './go-regexp';
import { allowsMatch, allowsPath, compileAllowRule, compileRule, type AllowRule, type SecretRule } from './rule';

/** One secret found in one file. The secret itself is never kept: `match` is redacted. */
export interface SecretMatch {
  ruleId: string;
  category: string;
  title: string;
  severity: Severity;
  /** 1-based lines of the secret's first and last byte. */
  startLine: number;
  endLine: number;
  /** The line holding the secret (cut around it when over 100 bytes), every secret byte as `*`. */
  match: string;
  /** Byte offset of the secret in the file. */
  offset: number;
}

export interface SecretScannerOptions {
  config?: SecretConfig;
  /** Bytes scanned at once (Trivy's streaming default: 64 KiB). */
  bufferSize?: number;
  /** Bytes each chunk repeats of the previous one, so a secret across a boundary is seen whole (Trivy: 2 KiB). */
  overlapSize?: number;
}

export const DEFAULT_BUFFER_SIZE = 64 * 1024;
export const DEFAULT_OVERLAP_SIZE = 2048;
const NEWLINE = 0x0a;
const STAR = 0x2a;
/** Lines longer than this are cut to the secret with 30 bytes before and 20 after (Trivy). */
const MAX_LINE_LENGTH = 100;

/**
 * Trivy's secret scanner (pkg/fanal/secret/scanner.go), finding for finding: the same rules and
 * allow rules, the same configuration, the same chunking of a file into overlapping windows,
 * line numbers, redaction and ordering.
 *
 * Cost: a file costs one pass of one combined keyword search per chunk; only rules whose
 * keyword occurs (as Trivy, case-insensitively) run their own expression. Windows of
 * `bufferSize` bytes also bound what any one expression can be run on.
 */
export class SecretScanner {
  readonly rules: readonly SecretRule[];
  readonly allowRules: readonly AllowRule[];
  private readonly excludeBlocks: readonly GoRegexp[];
  private readonly bufferSize: number;
  private readonly overlapSize: number;
  /**
   * All rules' keywords, longest first, as one case-insensitive search. (A hand-written byte
   * scan with a pair table was measured against it on minbase's text and was slower: V8's
   * compiled alternation wins.)
   */
  private readonly keywordSearch: RegExp | undefined;
  /** For each keyword, the keywords it contains (itself included): found with it at no cost. */
  private readonly impliedKeywords = new Map<string, string[]>();

  constructor(options: SecretScannerOptions = {}) {
    const config = options.config;
    const enabled = config?.enableBuiltinRules?.length ? BUILTIN_RULES.filter((r) => config.enableBuiltinRules?.includes(r.id)) : BUILTIN_RULES;
    const disabled = new Set(config?.disableRules ?? []);
    this.rules = [...enabled, ...(config?.rules ?? [])].filter((r) => !disabled.has(r.id)).map(compileRule);
    const disabledAllow = new Set(config?.disableAllowRules ?? []);
    this.allowRules = [...BUILTIN_ALLOW_RULES, ...(config?.allowRules ?? [])].filter((r) => !disabledAllow.has(r.id ?? '')).map((r) => compileAllowRule(r, 'secret config'));
    this.excludeBlocks = (config?.excludeBlock?.regexes ?? []).map((r) => compileRule({ id: 'exclude-block', category: '', title: '', severity: '', regex: r }).regex);
    this.bufferSize = options.bufferSize ?? DEFAULT_BUFFER_SIZE;
    this.overlapSize = options.overlapSize ?? DEFAULT_OVERLAP_SIZE;
    // Trivy shrinks an overlap that would swallow the whole buffer.
    if (this.overlapSize >= this.bufferSize) this.overlapSize = Math.floor(this.bufferSize / 4);

    const keywords = [...new Set(this.rules.flatMap((r) => r.keywords))].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    for (const keyword of keywords) this.impliedKeywords.set(keyword, keywords.filter((other) => keyword.includes(other)));
    // Keywords are compared with the file as latin1, byte for byte: escape each byte.
    const escaped = keywords.map((k) => [...Buffer.from(k, 'utf8')].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join(''));
    this.keywordSearch = keywords.length > 0 ? new RegExp(escaped.join('|'), 'gi') : undefined;
  }

  /** Trivy's global allow-path check: files it matches are not scanned at all. */
  allowsPath(path: string): boolean {
    return allowsPath(this.allowRules, latin1(path));
  }

  /** Secrets in one file, sorted by rule id then match (Trivy's order). */
  scan(path: string, content: Buffer): SecretMatch[] {
    const subjectPath = latin1(path);
    if (allowsPath(this.allowRules, subjectPath)) return [];
    const rules = this.rules.filter((rule) => (!rule.path || rule.path.matches(subjectPath)) && !allowsPath(rule.allowRules, subjectPath));
    if (rules.length === 0) return [];

    const found: SecretMatch[] = [];
    const seen = new Set<string>();
    const keep = (matches: SecretMatch[]): void => {
      for (const m of matches) {
        // Trivy's deduplication of what two overlapping chunks both saw: the same rule at the
        // same place is one finding, described as the earlier chunk saw it (even if that chunk
        // cut the line short), so the redacted text does not take part.
        const key = `${m.ruleId}:${m.startLine}-${m.endLine}:${m.offset}`;
        if (seen.has(key)) continue;
        seen.add(key);
        found.push(m);
      }
    };
    // Chunks exactly as Trivy's reader produces them: each starts with the previous chunk's last
    // `overlapSize` bytes; at the end the last overlap is scanned once more on its own.
    let end = 0;
    let overlap = 0;
    let lineOffset = 0;
    let overlapIsWholeChunk = false;
    for (;;) {
      const fresh = Math.min(this.bufferSize - overlap, content.length - end);
      if (fresh === 0) {
        // Rescanning a whole previous chunk (a file no longer than the overlap) finds exactly
        // what it found before, all removed as duplicates: skip it.
        if (overlap > 0 && !overlapIsWholeChunk) keep(this.scanChunk(content.subarray(end - overlap, end), end - overlap, lineOffset, rules));
        break;
      }
      const start = end - overlap;
      end += fresh;
      keep(this.scanChunk(content.subarray(start, end), start, lineOffset, rules));
      if (end - start > this.overlapSize) {
        lineOffset += countNewlines(content, start, end - this.overlapSize);
        overlap = this.overlapSize;
        overlapIsWholeChunk = false;
      } else {
        overlap = end - start;
        overlapIsWholeChunk = true;
      }
    }
    return found.sort(byRuleThenMatch);
  }

  private scanChunk(chunk: Buffer, chunkStart: number, lineOffset: number, rules: readonly SecretRule[]): SecretMatch[] {
    const text = chunk.toString('latin1');
    const present = this.presentKeywords(text);
    const runnable = rules.filter((rule) => rule.keywords.length === 0 || rule.keywords.some((k) => present.has(k)));
    // Most files hold no rule's keyword: that one search is all they cost.
    if (runnable.length === 0) return [];
    let globalBlocks: Location[] | undefined;
    let censored: Buffer | undefined;
    const matched: { rule: SecretRule; start: number; end: number }[] = [];
    for (const rule of runnable) {
      const locations = this.locations(rule, text);
      if (locations.length === 0) continue;
      let localBlocks: Location[] | undefined;
      for (const [start, end] of locations) {
        globalBlocks ??= blocks(this.excludeBlocks, text);
        localBlocks ??= blocks(rule.excludeBlocks, text);
        if (inBlock(globalBlocks, start, end) || inBlock(localBlocks, start, end)) continue;
        matched.push({ rule, start, end });
        censored ??= Buffer.from(chunk);
        for (let i = start; i < end; i++) if (censored[i] !== NEWLINE) censored[i] = STAR;
      }
    }
    if (!censored) return [];
    const copy = censored;
    return matched.map(({ rule, start, end }) => ({ ...describe(rule, start, end, copy, lineOffset), offset: chunkStart + start })).sort(byRuleThenMatch);
  }

  /** Keywords (lower case) occurring in the text, by one search that also sees overlapping ones. */
  private presentKeywords(text: string): Set<string> {
    const present = new Set<string>();
    const search = this.keywordSearch;
    if (!search) return present;
    search.lastIndex = 0;
    for (let m = search.exec(text); m; m = search.exec(text)) {
      for (const keyword of this.impliedKeywords.get(m[0].toLowerCase()) ?? []) present.add(keyword);
      search.lastIndex = m.index + 1;
    }
    return present;
  }

  /** Trivy's FindLocations: whole matches, or the secret groups of matches, minus allowed matches. */
  private locations(rule: SecretRule, text: string): Location[] {
    const groups = rule.secretGroups;
    const out: Location[] = [];
    for (const row of rule.regex.findAll(text, groups !== undefined)) {
      const whole = text.slice(row[0], row[1]);
      if (allowsMatch(this.allowRules, whole) || allowsMatch(rule.allowRules, whole)) continue;
      if (!groups) {
        out.push([row[0] as number, row[1] as number]);
        continue;
      }
      for (const group of groups) {
        const start = row[2 * group] as number;
        if (start >= 0) out.push([start, row[2 * group + 1] as number]);
      }
    }
    return out;
  }
}

type Location = [number, number];

function blocks(regexes: readonly GoRegexp[], text: string): Location[] {
  return regexes.flatMap((regex) => regex.findAll(text).map((row) => [row[0], row[1]] as Location));
}

function inBlock(blockList: readonly Location[], start: number, end: number): boolean {
  return blockList.some(([blockStart, blockEnd]) => blockStart <= start && end <= blockEnd);
}

function countNewlines(buffer: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = buffer.indexOf(NEWLINE, from); at !== -1 && at < to; at = buffer.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

/** Trivy's findLocation for a censored chunk. */
function describe(rule: SecretRule, start: number, end: number, censored: Buffer, lineOffset: number): Omit<SecretMatch, 'offset'> {
  const startLine = countNewlines(censored, 0, start);
  let lineStart = start === 0 ? -1 : censored.lastIndexOf(NEWLINE, start - 1);
  lineStart = lineStart === -1 ? 0 : lineStart + 1;
  let lineEnd = censored.indexOf(NEWLINE, start);
  if (lineEnd === -1) lineEnd = censored.length;
  if (lineEnd - lineStart > MAX_LINE_LENGTH) {
    lineStart = start - lineStart - 30 < 0 ? lineStart : start - 30;
    lineEnd = end + 20 > lineEnd ? lineEnd : end + 20;
  }
  const endLine = startLine + countNewlines(censored, start, end);
  return {
    ruleId: rule.id,
    category: rule.category,
    title: rule.title,
    severity: rule.severity,
    startLine: startLine + 1 + lineOffset,
    endLine: endLine + 1 + lineOffset,
    match: censored.toString('utf8', lineStart, lineEnd),
  };
}

function byRuleThenMatch(a: SecretMatch, b: SecretMatch): number {
  if (a.ruleId !== b.ruleId) return a.ruleId < b.ruleId ? -1 : 1;
  return a.match < b.match ? -1 : a.match > b.match ? 1 : 0;
}

function latin1(text: string): string {
  // Paths are compared as their UTF-8 bytes, like file contents.
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length === text.length ? text : bytes.toString('latin1');
}

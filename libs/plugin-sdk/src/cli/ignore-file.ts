import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from './cli-error';

/**
 * Ignore files: what a team has decided not to act on, kept next to the code and reviewed like it.
 * One format for every command (`scan`, every `bench`), a superset of Trivy's `.trivyignore`:
 *
 *     # Accepted until the base image moves to bookworm: no fix upstream.
 *     CVE-2023-4911 exp:2027-03-31
 *     DL3008 docker/Dockerfile.dev            # dev image: unpinned on purpose
 *     KSV014 Deployment/payments/api
 *
 * Each line: an id (a check id or any equivalent, an advisory id or alias, a secret rule id),
 * then optionally targets (exact, or with `*` wildcards: a file, an object, a package name or
 * purl) the rule is limited to, then optionally `exp:YYYY-MM-DD` after which the rule no longer
 * applies. The reason is the comment: a `# …` at the end of the line, or the comment lines just
 * above it. `.trivyignore` files read unchanged.
 */
export interface IgnoreRule {
  id: string;
  /** Empty: every target. */
  targets: string[];
  /** Last day (UTC) the rule applies, `YYYY-MM-DD`. */
  expires?: string;
  reason?: string;
  /** Where it was written, for messages: `.bulkheadignore:3`. */
  where: string;
}

/** The ignore file a command reads when `--ignorefile` is not given, from the working folder. */
export const DEFAULT_IGNORE_FILE = '.bulkheadignore';

const EXPIRY = /^exp:(\d{4}-\d{2}-\d{2})$/;

/** Parses an ignore file's text; a malformed line is a usage error naming file and line. */
export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  let pendingComment: string[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const where = `${file}:${index + 1}`;
    const line = raw.trim();
    if (line === '') {
      pendingComment = [];
      return;
    }
    if (line.startsWith('#')) {
      pendingComment.push(line.replace(/^#+\s*/, ''));
      return;
    }
    const hash = line.search(/\s#/);
    const body = hash >= 0 ? line.slice(0, hash).trim() : line;
    const trailing = hash >= 0 ? line.slice(hash).replace(/^\s*#+\s*/, '').trim() : '';
    const [id = '', ...rest] = body.split(/\s+/);
    let expires: string | undefined;
    const targets: string[] = [];
    for (const word of rest) {
      const expiry = EXPIRY.exec(word);
      if (expiry) {
        if (Number.isNaN(Date.parse(`${expiry[1]}T00:00:00Z`))) throw usageError(`${where}: ${word} is not a date (expected exp:YYYY-MM-DD)`);
        expires = expiry[1];
      } else if (word.startsWith('exp:')) {
        throw usageError(`${where}: ${word} is not a date (expected exp:YYYY-MM-DD)`);
      } else {
        targets.push(word);
      }
    }
    const reason = trailing || pendingComment.join(' ').trim();
    rules.push({ id, targets, ...(expires ? { expires } : {}), ...(reason ? { reason } : {}), where });
    pendingComment = [];
  });
  return rules;
}

/**
 * Reads the ignore file: `explicit` (from `--ignorefile`; must exist), else DEFAULT_IGNORE_FILE in
 * `cwd` when present. Returns no rules when there is none.
 */
export async function loadIgnoreFile(explicit: string | undefined, cwd: string = process.cwd()): Promise<{ file?: string; rules: IgnoreRule[] }> {
  const file = explicit ?? path.join(cwd, DEFAULT_IGNORE_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!explicit && code === 'ENOENT') return { rules: [] };
    throw usageError(`ignore file ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`);
  }
  return { file, rules: parseIgnoreFile(text, explicit ?? DEFAULT_IGNORE_FILE) };
}

/** Splits rules into those in force on `today` (UTC) and those whose expiry has passed. */
export function rulesInForce(rules: readonly IgnoreRule[], now: Date = new Date()): { active: IgnoreRule[]; expired: IgnoreRule[] } {
  const today = now.toISOString().slice(0, 10);
  const active: IgnoreRule[] = [];
  const expired: IgnoreRule[] = [];
  for (const rule of rules) (rule.expires !== undefined && rule.expires < today ? expired : active).push(rule);
  return { active, expired };
}

function globMatches(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`).test(value);
}

/**
 * Whether a rule covers a result known by these ids (its own and equivalents, case-insensitive)
 * at these targets (file, object, package name, purl …).
 */
export function ignoreRuleMatches(rule: IgnoreRule, result: { ids: readonly string[]; targets: readonly string[] }): boolean {
  const id = rule.id.toLowerCase();
  if (!result.ids.some((i) => i.toLowerCase() === id)) return false;
  return rule.targets.length === 0 || rule.targets.some((pattern) => result.targets.some((target) => globMatches(pattern, target)));
}

/** The stderr line for rules past their expiry (they no longer hide anything). */
export function expiredRulesNotice(expired: readonly IgnoreRule[]): string | undefined {
  if (expired.length === 0) return undefined;
  return `ignore rules past their expiry, no longer applied: ${expired.map((r) => `${r.id} (${r.where}, exp:${r.expires})`).join(', ')}`;
}

import { satisfies as pep440Satisfies, validRange as pep440ValidRange } from '@renovatebot/pep440';
import semver from 'semver';
import { BadInputError } from '@bulkhead/plugin-sdk';
import type { VersionScheme } from '../ecosystem';
import { InvalidVersionError } from './errors';
import { versionOrdering, type VersionOrdering } from './ordering';
import { comparePep440Parsed, comparePep440Public, parsePep440Version, samePep440Base } from './pep440';
import { parseRubyGemsVersion } from './rubygems';

/*
 * Version constraints as advisory databases write them (GHSA `vulnerable_version_range`,
 * Trivy's VulnerableVersions / PatchedVersions): `||` separates alternatives; inside one, the
 * comparisons separated by `,` or blanks must all hold. Each scheme keeps its own dialect:
 * npm is node-semver's range syntax (plus `==`, `=>` and commas, as go-npm-version reads it);
 * PEP 440 specifiers (`~=`, `==1.*`, `===`; a bare version means `==`); Maven ranges
 * (`[1.0,2.0)`, `(,1.0],[1.2,)`) or comparisons; RubyGems `~>`; the other schemes plain
 * comparisons in their own ordering.
 */

export class InvalidConstraintError extends BadInputError {
  constructor(
    readonly scheme: VersionScheme,
    readonly constraint: string,
    readonly reason: string,
  ) {
    super(`invalid ${scheme} constraint ${JSON.stringify(constraint)}: ${reason}`);
  }
}

export interface ConstraintOptions {
  /**
   * npm: let pre-releases satisfy ranges whose bounds are releases (node-semver's
   * includePrerelease; Trivy's npm comparer sets it, plain node-semver does not).
   */
  includePrerelease?: boolean;
  /** PEP 440: allow local labels (`+sp1`) in ordered comparisons, as Trivy's AllowLocalSpecifier. */
  allowLocalSpecifier?: boolean;
}

type Op = '=' | '!=' | '>' | '<' | '>=' | '<=' | '~>';
interface Comparison {
  op: Op;
  version: string;
}

const OPS: Readonly<Record<string, Op>> = { '': '=', '=': '=', '==': '=', '!=': '!=', '>': '>', '<': '<', '>=': '>=', '=>': '>=', '<=': '<=', '=<': '<=', '~>': '~>' };

/** `>= 1.0, < 2 || = 3` → [[>=1.0, <2], [=3]]; the whole text must parse. */
function parseComparisons(scheme: VersionScheme, text: string, versionChars: RegExp, ops: readonly string[]): Comparison[][] {
  const groups: Comparison[][] = [];
  for (const group of text.split('||')) {
    const comparisons: Comparison[] = [];
    const token = new RegExp(`\\s*(${ops.map(escape).join('|')})?\\s*(${versionChars.source})\\s*,?`, 'y');
    let rest = group.trim();
    while (rest !== '') {
      token.lastIndex = 0;
      const match = token.exec(rest);
      if (!match) throw new InvalidConstraintError(scheme, text, `cannot read ${JSON.stringify(rest)}`);
      comparisons.push({ op: OPS[match[1] ?? ''] ?? '=', version: match[2] ?? '' });
      rest = rest.slice(match[0].length).trim();
    }
    if (comparisons.length === 0) throw new InvalidConstraintError(scheme, text, 'empty alternative');
    groups.push(comparisons);
  }
  return groups;
}

function escape(op: string): string {
  return op.replace(/[|\\{}()[\]^$+*?.]/g, '\\$&');
}

function holds(cmp: number, op: Op): boolean {
  switch (op) {
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '>':
      return cmp > 0;
    case '<':
      return cmp < 0;
    case '>=':
      return cmp >= 0;
    case '<=':
      return cmp <= 0;
    case '~>':
      throw new Error('~> is evaluated by the RubyGems rule');
  }
}

/** Plain comparisons in one ordering (Go, Cargo, Composer, dpkg, apk, rpm, and Maven / RubyGems comparisons). */
function satisfiesComparisons(ordering: VersionOrdering, version: unknown, groups: Comparison[][], parseBound: (v: string) => unknown): boolean {
  return groups.some((group) =>
    group.every(({ op, version: bound }) => {
      if (op === '~>') return rubyPessimistic(version as ReturnType<typeof parseRubyGemsVersion>, bound);
      return holds(ordering.compare(version, parseBound(bound)), op);
    }),
  );
}

/** Gem::Requirement `~> 1.5.5`: >= 1.5.5 and the release part < 1.6. */
function rubyPessimistic(version: ReturnType<typeof parseRubyGemsVersion>, bound: string): boolean {
  const ordering = versionOrdering('rubygems');
  const lower = parseRubyGemsVersion(bound);
  if (ordering.compare(version, lower) < 0) return false;
  // Gem::Version#bump: drop the pre-release part and the last release segment, increment the new last
  const numeric = lower.segments.slice(0, firstString(lower.segments));
  const kept = numeric.length > 1 ? numeric.slice(0, -1) : numeric;
  const bumped = [...kept.slice(0, -1), Number(kept[kept.length - 1] ?? 0) + 1].join('.');
  const release = version.segments.slice(0, firstString(version.segments)).join('.') || '0';
  return ordering.compare(parseRubyGemsVersion(release), parseRubyGemsVersion(bumped)) < 0;
}

function firstString(segments: readonly (string | number)[]): number {
  const i = segments.findIndex((s) => typeof s === 'string');
  return i < 0 ? segments.length : i;
}

// ---- npm ------------------------------------------------------------------------------------

function npmRange(constraint: string): string {
  const range = constraint
    .split('||')
    .map((group) => group.replace(/==/g, '=').replace(/=>/g, '>=').replace(/,/g, ' ').trim())
    .join(' || ');
  if (semver.validRange(range) === null) throw new InvalidConstraintError('npm', constraint, 'not a node-semver range');
  return range;
}

// ---- PEP 440 --------------------------------------------------------------------------------

const PEP440_CLAUSE = /\s*(~=|===|==|!=|<=|>=|<|>|=)?\s*([0-9A-Za-z*][0-9A-Za-z.*+!_-]*)\s*,?/y;

/** Specifier clauses of one alternative; a bare version means `==`, `*` anything. */
function pep440Clauses(constraint: string, group: string): string[] {
  const clauses: string[] = [];
  let rest = group.trim();
  while (rest !== '') {
    PEP440_CLAUSE.lastIndex = 0;
    const match = PEP440_CLAUSE.exec(rest);
    if (!match) throw new InvalidConstraintError('pep440', constraint, `cannot read ${JSON.stringify(rest)}`);
    const op = !match[1] || match[1] === '=' ? '==' : match[1];
    const version = match[2] ?? '';
    if (!(version === '*' && !match[1])) clauses.push(`${op}${version}`);
    rest = rest.slice(match[0].length).trim();
  }
  return clauses;
}

/**
 * One specifier clause. Ordered comparisons follow pypa/packaging's rules, computed on our
 * parse-once ordering (@renovatebot/pep440 simplifies `<` / `>` and gets `2.0a1 < 2.0a2` wrong);
 * `==`, `!=`, `~=` and `===` (prefix and compatible-release matching) use the library.
 * Pre-releases are always eligible, as go-pep440-version and Trivy treat them.
 */
function pep440Clause(constraint: string, version: string, clause: string, options: ConstraintOptions): boolean {
  const exact = /^(==|!=)([^*]*\+[^*]*)$/.exec(clause);
  if (exact) {
    // PEP 440: a specifier with a local label matches that label exactly (the library ignores it)
    const equal = comparePep440Parsed(parsePep440Version(version), parsePep440Version(exact[2] ?? '')) === 0;
    return exact[1] === '==' ? equal : !equal;
  }
  const ordered = /^(<=|>=|<|>)(.*)$/.exec(clause);
  if (!ordered) {
    if (!pep440ValidRange(clause)) throw new InvalidConstraintError('pep440', constraint, `invalid specifier ${clause}`);
    return pep440Satisfies(version, clause, { prereleases: true });
  }
  const op = ordered[1] as '<=' | '>=' | '<' | '>';
  const specText = ordered[2] ?? '';
  if (specText.includes('*')) throw new InvalidConstraintError('pep440', constraint, `${op} takes no wildcard`);
  if (specText.includes('+') && !options.allowLocalSpecifier) throw new InvalidConstraintError('pep440', constraint, `${op} takes no local version label`);
  const spec = parsePep440Version(specText);
  const candidate = parsePep440Version(version);
  // Trivy's AllowLocalSpecifier: local labels take part in the order
  if (spec.hasLocal) return holds(comparePep440Parsed(candidate, spec), op);
  switch (op) {
    case '<=':
    case '>=':
      return holds(comparePep440Public(candidate, spec), op);
    case '<':
      // `<V` excludes pre-releases of V itself unless V is a pre-release
      if (!(comparePep440Parsed(candidate, spec) < 0)) return false;
      return !(!spec.isPrerelease && candidate.isPrerelease && samePep440Base(candidate, spec));
    case '>':
      // `>V` excludes post-releases and local versions of V itself
      if (!(comparePep440Parsed(candidate, spec) > 0)) return false;
      if (!spec.isPostrelease && candidate.isPostrelease && samePep440Base(candidate, spec)) return false;
      return !(candidate.hasLocal && samePep440Base(candidate, spec));
  }
}

// ---- Maven ----------------------------------------------------------------------------------

const MAVEN_VERSION = /[0-9A-Za-z\-.+_]+/;
const MAVEN_RANGE = /\s*([[(])\s*([^,\])]*?)\s*(?:(,)\s*([^,\])]*?)\s*)?([\])])\s*,?/y;

interface MavenRange {
  lower?: { version: string; inclusive: boolean };
  upper?: { version: string; inclusive: boolean };
}

/** Maven version ranges: `[1.0,2.0)`, `(,1.0]`, `[1.0]` (exactly), several joined by commas. */
function parseMavenRanges(constraint: string): MavenRange[] {
  const ranges: MavenRange[] = [];
  let rest = constraint.trim();
  while (rest !== '') {
    MAVEN_RANGE.lastIndex = 0;
    const match = MAVEN_RANGE.exec(rest);
    if (!match) throw new InvalidConstraintError('maven', constraint, `cannot read range ${JSON.stringify(rest)}`);
    const [, open, low = '', comma, high = '', close] = match;
    if (!comma) {
      // [1.0] (and go-mvn-version's (1.0)) is exactly that version
      if (low === '') throw new InvalidConstraintError('maven', constraint, 'empty range');
      ranges.push({ lower: { version: low, inclusive: true }, upper: { version: low, inclusive: true } });
    } else {
      ranges.push({
        ...(low !== '' ? { lower: { version: low, inclusive: open === '[' } } : {}),
        ...(high !== '' ? { upper: { version: high, inclusive: close === ']' } } : {}),
      });
    }
    rest = rest.slice(match[0].length).trim();
  }
  return ranges;
}

function inMavenRange(ordering: VersionOrdering, version: unknown, range: MavenRange): boolean {
  if (range.lower) {
    const cmp = ordering.compare(version, ordering.parse(range.lower.version));
    if (cmp < 0 || (cmp === 0 && !range.lower.inclusive)) return false;
  }
  if (range.upper) {
    const cmp = ordering.compare(version, ordering.parse(range.upper.version));
    if (cmp > 0 || (cmp === 0 && !range.upper.inclusive)) return false;
  }
  return true;
}

/**
 * A Maven version requirement as a pom writes one: ranges, or a bare version, which Maven
 * treats as a soft requirement (a preference any version satisfies).
 */
export function satisfiesMavenRequirement(version: string, requirement: string): boolean {
  const ordering = versionOrdering('maven');
  const parsed = ordering.parse(version);
  const text = requirement.trim();
  if (!/^[[(]/.test(text)) {
    if (!new RegExp(`^${MAVEN_VERSION.source}$`).test(text)) throw new InvalidConstraintError('maven', requirement, 'neither a version nor a range');
    ordering.parse(text);
    return true;
  }
  return parseMavenRanges(text).some((range) => inMavenRange(ordering, parsed, range));
}

// ---- entry points -----------------------------------------------------------------------------

const PLAIN_OPS = ['==', '!=', '>=', '<=', '=>', '=<', '>', '<', '='];
const PLAIN_VERSION = /[0-9A-Za-z][0-9A-Za-z\-.+_~:^]*/;

/**
 * Whether `version` satisfies `constraint` in `scheme`'s dialect. Throws InvalidVersionError or
 * InvalidConstraintError (naming the text) when either cannot be read.
 */
export function satisfiesConstraint(scheme: VersionScheme, version: string, constraint: string, options: ConstraintOptions = {}): boolean {
  const ordering = versionOrdering(scheme);
  const parsed = ordering.parse(version);
  switch (scheme) {
    case 'npm':
      return semver.satisfies(parsed as semver.SemVer, npmRange(constraint), { includePrerelease: options.includePrerelease ?? false });
    case 'pep440':
      return constraint.split('||').some((group) => pep440Clauses(constraint, group).every((clause) => pep440Clause(constraint, version, clause, options)));
    case 'maven': {
      if (/^\s*[[(]/.test(constraint)) return parseMavenRanges(constraint).some((range) => inMavenRange(ordering, parsed, range));
      const groups = parseComparisons('maven', constraint, MAVEN_VERSION, PLAIN_OPS);
      return satisfiesComparisons(ordering, parsed, groups, (v) => ordering.parse(v));
    }
    case 'rubygems': {
      const groups = parseComparisons('rubygems', constraint, /[0-9A-Za-z][0-9A-Za-z.-]*/, ['~>', ...PLAIN_OPS]);
      return satisfiesComparisons(ordering, parsed, groups, (v) => ordering.parse(v));
    }
    default: {
      const groups = parseComparisons(scheme, constraint, PLAIN_VERSION, PLAIN_OPS);
      return satisfiesComparisons(ordering, parsed, groups, (v) => ordering.parse(v));
    }
  }
}

export function isValidConstraint(scheme: VersionScheme, constraint: string): boolean {
  try {
    switch (scheme) {
      case 'npm':
        npmRange(constraint);
        return true;
      case 'pep440':
        for (const group of constraint.split('||')) {
          for (const clause of pep440Clauses(constraint, group)) if (!pep440ValidRange(clause)) return false;
        }
        return true;
      case 'maven':
        if (/^\s*[[(]/.test(constraint)) parseMavenRanges(constraint).forEach((r) => [r.lower, r.upper].forEach((b) => b && versionOrdering('maven').parse(b.version)));
        else parseComparisons('maven', constraint, MAVEN_VERSION, PLAIN_OPS).flat().forEach((c) => versionOrdering('maven').parse(c.version));
        return true;
      default: {
        const ops = scheme === 'rubygems' ? ['~>', ...PLAIN_OPS] : PLAIN_OPS;
        parseComparisons(scheme, constraint, PLAIN_VERSION, ops).flat().forEach((c) => versionOrdering(scheme).parse(c.version));
        return true;
      }
    }
  } catch (error) {
    if (error instanceof InvalidConstraintError || error instanceof InvalidVersionError) return false;
    throw error;
  }
}

/** An advisory's version lists as Trivy's databases carry them. */
export interface VersionLists {
  vulnerableVersions?: readonly string[] | null;
  patchedVersions?: readonly string[] | null;
  unaffectedVersions?: readonly string[] | null;
}

/**
 * Trivy's IsVulnerable over constraint lists: vulnerable when the version is in a vulnerable
 * range (when any are given) and in no patched or unaffected range; an empty string in the
 * vulnerable or patched list means "every version". Unreadable input is not vulnerable (as
 * Trivy logs and skips it); callers that must know use satisfiesConstraint.
 */
export function isVulnerableVersion(scheme: VersionScheme, version: string, lists: VersionLists, options: ConstraintOptions = {}): boolean {
  const vulnerable = lists.vulnerableVersions ?? [];
  const secure = [...(lists.patchedVersions ?? []), ...(lists.unaffectedVersions ?? [])];
  if ([...vulnerable, ...(lists.patchedVersions ?? [])].some((v) => v === '')) return true;
  try {
    let matched = false;
    if (vulnerable.length > 0) {
      matched = satisfiesConstraint(scheme, version, vulnerable.join(' || '), options);
      if (!matched) return false;
    }
    if (secure.length === 0) return matched;
    return !satisfiesConstraint(scheme, version, secure.join(' || '), options);
  } catch (error) {
    if (error instanceof InvalidConstraintError || error instanceof InvalidVersionError) return false;
    throw error;
  }
}

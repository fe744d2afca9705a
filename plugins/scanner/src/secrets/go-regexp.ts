import { RE2JS } from 're2js';
import { translateGoRegexp } from './go-regexp-translate';

export { GoRegexpError, translateGoRegexp, type CompiledGoRegexp, type RegexpTarget } from './go-regexp-translate';

/*
 * A compiled Go regular expression, run by V8 or, where V8 could backtrack exponentially, by
 * RE2JS (see go-regexp-translate.ts for the translation and the reasons).
 */

/** One engine's search: the match and group bounds (-1: group not taking part) from `from` on. */
type Search = (subject: string, from: number, groups: boolean) => number[] | undefined;

function v8Search(pattern: string): Search {
  const plain = new RegExp(pattern, 'g');
  const withIndices = new RegExp(pattern, 'gd');
  return (subject, from, groups) => {
    const re = groups ? withIndices : plain;
    re.lastIndex = from;
    const m = re.exec(subject);
    if (!m) return undefined;
    if (!groups) return [m.index, m.index + m[0].length];
    const row: number[] = [];
    for (const pair of (m as RegExpExecArray & { indices: ([number, number] | undefined)[] }).indices) row.push(pair ? pair[0] : -1, pair ? pair[1] : -1);
    return row;
  };
}

function re2Search(pattern: string): Search {
  const re = RE2JS.compile(pattern);
  return (subject, from, groups) => {
    const matcher = re.matcher(subject);
    if (!matcher.find(from)) return undefined;
    const row = [matcher.start(), matcher.end()];
    if (groups) for (let g = 1; g <= matcher.groupCount(); g++) row.push(matcher.start(g), matcher.end(g));
    return row;
  };
}

/** A compiled Go regular expression over latin1 strings. */
export class GoRegexp {
  readonly source: string;
  readonly groupNames: readonly (string | undefined)[];
  /** Runs on RE2JS (linear time) rather than V8 (see the module comment). */
  readonly linear: boolean;
  private readonly search: Search;

  /** `engine` forces one engine (tests compare them); by default V8 unless the pattern may backtrack exponentially. */
  constructor(source: string, engine?: 'v8' | 're2') {
    const translated = translateGoRegexp(source);
    this.source = source;
    this.groupNames = translated.groupNames;
    this.linear = engine ? engine === 're2' : translated.superLinear;
    this.search = this.linear ? re2Search(translateGoRegexp(source, 're2').js) : v8Search(translated.js);
  }

  /** Go's MatchString: is there a match anywhere. */
  matches(subject: string): boolean {
    return this.search(subject, 0, false) !== undefined;
  }

  /**
   * Go's FindAllIndex / FindAllSubmatchIndex: successive non-overlapping matches; an empty match
   * right after the previous match is skipped, and after an empty match the search moves on one
   * character. Each result is [start, end] of the match, then [start, end] of each group (-1
   * when the group did not take part) when `groups` is set.
   */
  findAll(subject: string, groups = false): number[][] {
    const out: number[][] = [];
    let previousEnd = -1;
    for (let from = 0; from <= subject.length; ) {
      const row = this.search(subject, from, groups);
      if (!row) break;
      const start = row[0] as number;
      const end = row[1] as number;
      from = end === start ? end + 1 : end;
      const abutting = end === start && start === previousEnd;
      previousEnd = end;
      if (!abutting) out.push(row);
    }
    return out;
  }
}

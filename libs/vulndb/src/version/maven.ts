import { compareDigits, stripZeros } from './digits';
import { InvalidVersionError } from './errors';

/*
 * Maven versions, ordered as Maven's ComparableVersion (maven-artifact, which go-mvn-version
 * ports): items split at `.`, `-` and digit/letter transitions; `-` (and a digit after letters)
 * opens a sub-list; qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga = final =
 * release < sp < any other (lexically); trailing null items (0, "", empty lists) are dropped.
 */

type Item = { kind: 'int'; digits: string } | { kind: 'string'; value: string } | { kind: 'list'; items: Item[] };

export interface MavenVersion {
  text: string;
  items: Item[];
}

const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', release: '', cr: 'rc' };
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));

function stringItem(value: string, followedByDigit: boolean): Item {
  let v = value;
  if (followedByDigit && v.length === 1) {
    // 1.0a1 is 1.0-alpha-1
    v = v === 'a' ? 'alpha' : v === 'b' ? 'beta' : v === 'm' ? 'milestone' : v;
  }
  return { kind: 'string', value: ALIASES[v] ?? v };
}

function comparableQualifier(q: string): string {
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function parseItem(isDigit: boolean, text: string): Item {
  return isDigit ? { kind: 'int', digits: stripZeros(text) } : stringItem(text, false);
}

function isNull(item: Item): boolean {
  if (item.kind === 'int') return item.digits === '0';
  if (item.kind === 'string') return item.value === '';
  return item.items.length === 0;
}

function normalize(list: Item[]): void {
  for (let i = list.length - 1; i >= 0; i--) {
    const last = list[i] as Item;
    if (isNull(last)) list.splice(i, 1);
    else if (last.kind !== 'list') break;
  }
}

export function parseMavenVersion(input: string): MavenVersion {
  const text = input.trim();
  if (text === '') throw new InvalidVersionError('maven', input, 'empty version');
  if (/[\s/\\]/.test(text)) throw new InvalidVersionError('maven', input, 'blanks and slashes are not allowed');
  const version = text.toLowerCase();
  const root: Item[] = [];
  let list = root;
  const stack: Item[][] = [root];
  let isDigit = false;
  let start = 0;
  const openList = (): void => {
    const next: Item[] = [];
    list.push({ kind: 'list', items: next });
    list = next;
    stack.push(next);
  };
  for (let i = 0; i < version.length; i++) {
    const c = version.charCodeAt(i);
    if (c === 46 /* . */ || c === 45 /* - */) {
      list.push(i === start ? { kind: 'int', digits: '0' } : parseItem(isDigit, version.slice(start, i)));
      start = i + 1;
      if (c === 45) openList();
    } else if (c >= 48 && c <= 57) {
      if (!isDigit && i > start) {
        // 1.0.0.X1 < 1.0.0-X2: a qualifier followed by digits starts a sub-list
        list.push(stringItem(version.slice(start, i), true));
        start = i;
        openList();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.push(parseItem(true, version.slice(start, i)));
        start = i;
        openList();
      }
      isDigit = false;
    }
  }
  if (version.length > start) list.push(parseItem(isDigit, version.slice(start)));
  while (stack.length > 0) normalize(stack.pop() as Item[]);
  return { text: input, items: root };
}

/** ComparableVersion Item.compareTo; `undefined` plays Java's null (a missing item). */
function compareItem(a: Item, b: Item | undefined): number {
  switch (a.kind) {
    case 'int':
      if (!b) return a.digits === '0' ? 0 : 1;
      if (b.kind === 'int') return compareDigits(a.digits, b.digits);
      return 1; // a number is newer than a qualifier or a sub-list
    case 'string':
      if (!b) return cmp(comparableQualifier(a.value), RELEASE_INDEX);
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') return cmp(comparableQualifier(a.value), comparableQualifier(b.value));
      return -1;
    case 'list':
      if (!b) {
        for (const item of a.items) {
          const result = compareItem(item, undefined);
          if (result !== 0) return result;
        }
        return 0;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'string') return 1;
      return compareLists(a.items, b.items);
  }
}

function compareLists(a: Item[], b: Item[]): number {
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const l = a[i];
    const r = b[i];
    const result = l === undefined ? (r === undefined ? 0 : -compareItem(r, undefined)) : compareItem(l, r);
    if (result !== 0) return result;
  }
  return 0;
}

function cmp(a: string, b: string): number {
  return a === b ? 0 : a < b ? -1 : 1;
}

export function compareMavenParsed(a: MavenVersion, b: MavenVersion): number {
  return compareLists(a.items, b.items);
}

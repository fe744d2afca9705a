import { InvalidVersionError } from './errors';

/*
 * RubyGems versions, ordered as Gem::Version#<=>: `-` means `.pre.`; segments are digit or
 * letter runs; trailing zeros of the release part and of the pre-release part are dropped
 * (canonical_segments); a letter segment sorts before a number (1.0.a < 1.0).
 */

export interface RubyGemsVersion {
  text: string;
  segments: (number | string)[];
}

const VALID = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

export function parseRubyGemsVersion(text: string): RubyGemsVersion {
  if (!VALID.test(text)) throw new InvalidVersionError('rubygems', text, 'not a Gem::Version (digits, dot-separated letters/digits, optional -pre)');
  const version = text.trim() === '' ? '0' : text.trim().replace(/-/g, '.pre.');
  const all = (version.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
  const firstString = all.findIndex((s) => typeof s === 'string');
  const numeric = firstString < 0 ? all : all.slice(0, firstString);
  const rest = firstString < 0 ? [] : all.slice(firstString);
  return { text, segments: [...dropTrailingZeros(numeric), ...dropTrailingZeros(rest)] };
}

function dropTrailingZeros(parts: (number | string)[]): (number | string)[] {
  let end = parts.length;
  while (end > 0 && parts[end - 1] === 0) end--;
  return parts.slice(0, end);
}

export function compareRubyGemsParsed(a: RubyGemsVersion, b: RubyGemsVersion): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const l = a.segments[i] ?? 0;
    const r = b.segments[i] ?? 0;
    if (l === r) continue;
    if (typeof l === 'string' && typeof r === 'number') return -1;
    if (typeof l === 'number' && typeof r === 'string') return 1;
    return l < r ? -1 : 1;
  }
  return 0;
}

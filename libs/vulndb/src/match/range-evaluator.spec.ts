import type { AffectedRange } from '../model';
import { versionOrdering } from '../version/ordering';
import { evaluateEventsInOrder, evaluateRange, prepareRange, UnorderableRangeError } from './range-evaluator';

/** A small deterministic generator (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('range evaluation: the in-order fast path equals prepare + evaluate', () => {
  const npm = versionOrdering('npm');
  const pool = ['0.1.0', '1.0.0-alpha', '1.0.0', '1.0.1', '1.2.0', '1.10.0', '2.0.0-rc.1', '2.0.0', '3.0.0'];
  const next = random(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;

  it('on 5000 random ranges (sorted and unsorted, with last_affected and limits) and every pool version', () => {
    let fastPath = 0;
    for (let n = 0; n < 5000; n++) {
      const events: AffectedRange['events'] = [];
      const count = 1 + Math.floor(next() * 5);
      for (let i = 0; i < count; i++) {
        const kind = pick(['introduced', 'introduced', 'fixed', 'fixed', 'last_affected', 'limit'] as const);
        const version = kind === 'introduced' && next() < 0.3 ? '0' : kind === 'limit' && next() < 0.2 ? '*' : pick(pool);
        events.push({ [kind]: version } as AffectedRange['events'][number]);
      }
      // "0" sorts first and "*" last; the rest by version
      const rank = (e: AffectedRange['events'][number]): number => {
        const v = Object.values(e)[0] as string;
        return v === '0' ? -1 : v === '*' ? pool.length : pool.indexOf(v);
      };
      if (next() < 0.6) events.sort((a, b) => rank(a) - rank(b));
      const range: AffectedRange = { type: 'ECOSYSTEM', events };
      const prepared = prepareRange(range, npm);
      for (const installed of pool) {
        const version = npm.parse(installed);
        const slow = evaluateRange(prepared, version, npm);
        const fast = evaluateEventsInOrder(range, version, npm, npm.parse);
        if (fast === undefined) continue;
        fastPath++;
        expect([JSON.stringify(events), installed, fast]).toEqual([JSON.stringify(events), installed, slow]);
      }
    }
    expect(fastPath).toBeGreaterThan(10000);
  });

  it('an unorderable bound is an UnorderableRangeError on both paths', () => {
    const range: AffectedRange = { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: 'not.a.version' }] };
    expect(() => prepareRange(range, npm)).toThrow(UnorderableRangeError);
    expect(() => evaluateEventsInOrder(range, npm.parse('1.0.0'), npm, npm.parse)).toThrow(UnorderableRangeError);
  });
});

import { escapeJobId, jobIdForTask, queueNameForKind, QueueName } from './names';
import { stableStringify } from './stable-json';

describe('queue names and job ids', () => {
  it('maps every kind to its persisted queue name', () => {
    expect(queueNameForKind('scanner')).toBe(QueueName.Scanner);
    expect(queueNameForKind('runtime')).toBe('bulkhead.runtime');
  });

  it('escapes `:` one-to-one', () => {
    expect(escapeJobId('sha256:abc')).toBe('sha256%3Aabc');
    expect(escapeJobId('a%3Ab')).not.toBe(escapeJobId('a:b'));
    expect(jobIdForTask('5d7c4c0e-1111-4222-8333-444455556666')).toBe('5d7c4c0e-1111-4222-8333-444455556666');
  });

  it('serialises objects with sorted keys at every level', () => {
    expect(stableStringify({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });
});

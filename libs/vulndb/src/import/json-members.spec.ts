import { jsonObjectMembers, type JsonMember } from './json-members';

async function members(text: string | Buffer, chunkSize: number, maxValueBytes = 1 << 20): Promise<JsonMember[]> {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text);
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
  }
  const out: JsonMember[] = [];
  for await (const member of jsonObjectMembers(chunks(), maxValueBytes)) out.push(member);
  return out;
}

const asPairs = (list: JsonMember[]) => list.map((m) => ('value' in m ? [m.key, JSON.parse(m.value.toString()) as unknown] : m));

describe('jsonObjectMembers', () => {
  const document = {
    glibc: { 'CVE-1': { description: 'a "quoted" } brace, and [bracket]', releases: { bookworm: { status: 'open' } } } },
    'we\u00efrd "key"': [1, 2, { x: '}' }],
    scalar: 'text, with comma',
    number: 12.5,
    empty: {},
    nothing: null,
  };
  const text = JSON.stringify(document, null, 1);

  it.each([1, 2, 3, 7, 64, 1 << 16])('splits members at any chunk size (%i)', async (size) => {
    expect(asPairs(await members(text, size))).toEqual(Object.entries(document));
  });

  it('handles a compact document, an empty object and a BOM', async () => {
    expect(asPairs(await members(JSON.stringify(document), 5))).toEqual(Object.entries(document));
    expect(await members('{}', 1)).toEqual([]);
    expect(asPairs(await members(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')]), 2))).toEqual([['a', 1]]);
  });

  it('skips an overlong value without holding it and goes on', async () => {
    const big = JSON.stringify({ a: 'x'.repeat(5000), b: { c: 1 } });
    const out = await members(big, 100, 1000);
    expect(out).toEqual([
      { key: 'a', overlongBytes: 5002, offset: 5 },
      { key: 'b', value: Buffer.from('{"c":1}'), offset: 5012 },
    ]);
  });

  it.each([
    ['[1, 2]', /expected a JSON object/],
    ['{"a": 1', /truncated JSON/],
    ['{"a" 1}', /expected ":" after member name "a"/],
    ['{"a": {"b": 1}} x', /unexpected data after the top-level object/],
    ['{1: 2}', /expected a member name at byte 1/],
    ['{"a": {} "b": 1}', /expected "," or "}" after member "a"/],
  ])('reports structural errors (%s)', async (input, message) => {
    const out = await members(input, 3);
    const last = out.at(-1);
    expect(last && 'error' in last ? last.error : '').toMatch(message);
  });
});

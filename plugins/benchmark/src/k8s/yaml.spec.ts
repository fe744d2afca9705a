import { parseManifestText, type LoadedManifests } from './load';
import { contentStartLine, parseYamlDocument, splitYamlDocuments } from './yaml';

function parse(text: string, file = 'm.yaml'): LoadedManifests {
  const loaded: LoadedManifests = { objects: [], errors: [], files: [file] };
  parseManifestText(text, file, loaded);
  return loaded;
}

describe('splitYamlDocuments', () => {
  it('splits on --- and ... at column 0, keeping leading comments and directives with their document', () => {
    const docs = splitYamlDocuments('# header\n%YAML 1.1\n---\na: 1\n---   # two\nb: 2\n...\nc: 3\n--- |\n  text\n---x: 4\n');
    expect(docs.map((d) => [d.firstLine, d.text])).toEqual([
      [0, '# header\n%YAML 1.1\n---\na: 1\n'],
      [4, '---   # two\nb: 2\n...'],
      [7, 'c: 3\n'],
      [8, '--- |\n  text\n---x: 4\n'],
    ]);
  });

  it('ends a document at a marker even inside a block scalar, as the YAML spec says', () => {
    expect(splitYamlDocuments('a: |\n  x\n---\nb: 1').map((d) => d.text)).toEqual(['a: |\n  x\n', '---\nb: 1']);
  });

  it('drops documents that hold only comments', () => {
    expect(splitYamlDocuments('# only\n\n')).toEqual([]);
    expect(splitYamlDocuments('a: 1\n...\n# trailing\n')).toEqual([{ text: 'a: 1\n...', firstLine: 0 }]);
  });

  it('finds where the content starts', () => {
    expect(contentStartLine('---\n# c\n\nkind: Pod\n')).toBe(3);
    expect(contentStartLine('--- {kind: Pod}\n')).toBe(0);
    expect(contentStartLine('--- # c\nkind: Pod\n')).toBe(1);
  });
});

describe('Kubernetes YAML scalars (go-yaml v2, as sigs.k8s.io/yaml decodes untyped manifests)', () => {
  const value = (text: string) => parseYamlDocument(text).value;

  it('resolves YAML 1.1 booleans and nulls', () => {
    expect(value('[yes, Yes, on, ON, y, true, no, off, N, FALSE, "yes", ~, null, NULL]')).toEqual([true, true, true, true, true, true, false, false, false, false, 'yes', null, null, null]);
    expect(value('a:\nb: Null')).toEqual({ a: null, b: null });
  });

  it('resolves ints as Go ParseInt with base 0 and floats as yamlStyleFloat', () => {
    expect(value('[0755, 0o17, 0x1F, -0b101, 1_000, +12, 089, 1e3, 1.5, .5, -.inf, 0, -0]')).toEqual([493, 15, 31, -5, 1000, 12, 89, 1000, 1.5, 0.5, -Infinity, 0, 0]);
    expect(value('[.NaN]')).toEqual([NaN]);
  });

  it('keeps timestamps, sexagesimals and version-like values as strings', () => {
    expect(value('[2001-12-14, 190:20:30, 1.2.3, v1, 0x, 12abc]')).toEqual(['2001-12-14', '190:20:30', '1.2.3', 'v1', '0x', '12abc']);
  });

  it('supports merge keys and lets a duplicate key override', () => {
    expect(value('base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\nk: 1\nk: 2\n')).toEqual({ base: { a: 1, b: 2 }, x: { a: 1, b: 3 }, k: 2 });
  });

  it('turns a boolean key into "true"/"false", as sigs.k8s.io/yaml does', () => {
    expect(value('y: 1\nno: 2\n')).toEqual({ true: 1, false: 2 });
  });

  it('rejects a document whose aliases expand far beyond its size', () => {
    const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
    expect(() => parseYamlDocument(laughs.join('\n'))).toThrow(/excessive aliasing/);
  });
});

describe('parseManifestText with js-yaml', () => {
  it('evaluates yes/on as true like the API server does', () => {
    const loaded = parse('kind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: yes\n  containers: [{name: c, securityContext: {privileged: on}}]\n');
    expect(loaded.objects[0]?.object).toMatchObject({ spec: { hostNetwork: true, containers: [{ securityContext: { privileged: true } }] } });
  });

  it('reports each document from its own start line, and an invalid one with its file line', () => {
    const loaded = parse('# a comment\n---\nkind: A\nmetadata: {name: a}\n---\n\nkind: B\nmetadata:\n  name: [unclosed\n---\nkind: C\nmetadata: {name: c}\n');
    expect(loaded.objects.map((o) => [o.kind, o.line])).toEqual([
      ['A', 3],
      ['C', 11],
    ]);
    expect(loaded.errors).toHaveLength(1);
    expect(loaded.errors[0]).toMatchObject({ file: 'm.yaml', line: 10 });
    expect(loaded.errors[0]?.message).toMatch(/^invalid YAML at m\.yaml:10: /);
  });

  it('gives List items their own lines in flow and block style, after comments', () => {
    const loaded = parse('---\nkind: List\nitems:\n# first\n-\n  kind: A\n- kind: B\n---\nkind: PodList\nitems: [{kind: C},\n  {kind: D}]\n');
    expect(loaded.objects.map((o) => [o.kind, o.line])).toEqual([
      ['A', 6],
      ['B', 7],
      ['C', 10],
      ['D', 11],
    ]);
  });

  it('falls back to YAML for a .json file that is not valid JSON, with its line', () => {
    const loaded = parse('{"kind": "Pod",\n "metadata": {"name": "p"},\n "spec": [}\n', 'p.json');
    expect(loaded.objects).toEqual([]);
    expect(loaded.errors).toEqual([expect.objectContaining({ file: 'p.json', line: 3 })]);
  });
});

import { parseCondition, ConditionSyntaxError } from './condition-parser';

describe('parseCondition', () => {
  it('gives and precedence over or, and not over and', () => {
    expect(parseCondition('a or b and not c')).toEqual({
      kind: 'or',
      children: [
        { kind: 'macro', name: 'a', pos: 0 },
        { kind: 'and', children: [{ kind: 'macro', name: 'b', pos: 5 }, { kind: 'not', child: { kind: 'macro', name: 'c', pos: 15 } }] },
      ],
    });
  });

  it('parses field arguments, quoted and bare values, and list literals', () => {
    expect(parseCondition('proc.aname[2] = "a b"')).toMatchObject({ kind: 'check', field: { name: 'proc.aname', arg: '2' }, op: '=', value: { kind: 'value', item: { text: 'a b', quoted: true } } });
    expect(parseCondition("jevt.value[/a/b~1c] in (x, \"y z\", 'w', shells)")).toMatchObject({
      field: { name: 'jevt.value', arg: '/a/b~1c' },
      op: 'in',
      value: { kind: 'list', items: [{ text: 'x', quoted: false }, { text: 'y z', quoted: true }, { text: 'w', quoted: true }, { text: 'shells', quoted: false }] },
    });
    expect(parseCondition('evt.dir=<')).toMatchObject({ op: '=', value: { item: { text: '<' } } });
    expect(parseCondition('fd.num>=0')).toMatchObject({ op: '>=', value: { item: { text: '0' } } });
    expect(parseCondition('x.y in ()')).toMatchObject({ op: 'in', value: { kind: 'list', items: [] } });
    expect(parseCondition('proc.name="a\\"b"')).toMatchObject({ value: { item: { text: 'a"b' } } });
    expect(parseCondition('tolower(proc.name) = val(proc.pname)')).toMatchObject({ field: { name: 'proc.name', transformers: ['tolower'] }, value: { kind: 'field', field: { name: 'proc.pname' } } });
    expect(parseCondition('proc.name exists')).toMatchObject({ op: 'exists' });
  });

  it('does not mistake identifiers that start with keywords for keywords', () => {
    expect(parseCondition('andromeda or notable')).toEqual({ kind: 'or', children: [{ kind: 'macro', name: 'andromeda', pos: 0 }, { kind: 'macro', name: 'notable', pos: 13 }] });
    expect(() => parseCondition('proc.name inx (a)')).toThrow(/expected an operator after field proc.name but found 'inx'/);
  });

  it.each([
    ['proc.name = ', 'unexpected end of condition, expected a value', 12],
    ['(proc.name = a', "expected ')'", 14],
    ['proc.name', "expected an operator after field proc.name but found ''", 9],
    ['proc.name = a b', "unexpected 'b'", 14],
    ['proc.name in (a, b', "expected ',' or ')' in list", 18],
    ['proc.name = "abc', 'unterminated quoted string', 12],
    ['and x', "unexpected 'and'", 0],
    ['', 'unexpected end of condition', 0],
  ])('reports %j with its position', (text, message, offset) => {
    let error: unknown;
    try {
      parseCondition(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConditionSyntaxError);
    expect((error as ConditionSyntaxError).message).toContain(message);
    expect((error as ConditionSyntaxError).offset).toBe(offset);
  });
});

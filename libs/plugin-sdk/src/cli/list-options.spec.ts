import { Command } from 'commander';
import { endListOptionsAtOperands, rewriteListOptions } from './list-options';

/** A `replay`-like command: two list options, an option with a value, variadic operands. */
function parse(...args: string[]): { events: string[]; rules: string[]; image?: string[]; match: string } {
  let seen: { events: string[]; rules: string[]; image?: string[]; match: string } | undefined;
  const command = new Command('replay')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .requiredOption('-r, --rules <files...>', 'rules')
    .option('--image <refs...>', 'images')
    .option('--match <mode>', 'mode', 'first')
    .argument('<events...>', 'events')
    .action((events: string[], options: { rules: string[]; image?: string[]; match: string }) => {
      seen = { events, ...options };
    });
  endListOptionsAtOperands(command);
  command.parse(args, { from: 'user' });
  if (!seen) throw new Error('action did not run');
  return seen;
}

describe('endListOptionsAtOperands', () => {
  it("repeats -r like Falco's and leaves the positional arguments alone", () => {
    expect(parse('-r', 'a.yaml', '-r', 'b.yaml', 'events.json')).toEqual({ rules: ['a.yaml', 'b.yaml'], events: ['events.json'], match: 'first' });
    expect(parse('--rules', 'a.yaml', 'e1.json', 'e2.json')).toEqual({ rules: ['a.yaml'], events: ['e1.json', 'e2.json'], match: 'first' });
    expect(parse('events.json', '--rules', 'a.yaml')).toEqual({ rules: ['a.yaml'], events: ['events.json'], match: 'first' });
    expect(parse('--rules=a.yaml', '-rb.yaml', 'events.json')).toMatchObject({ rules: ['a.yaml', 'b.yaml'], events: ['events.json'] });
  });

  it('keeps the documented `--` form: a list ended by -- takes every value', () => {
    expect(parse('--rules', 'a.yaml', 'b.yaml', '--', 'e1.json', 'e2.json')).toEqual({ rules: ['a.yaml', 'b.yaml'], events: ['e1.json', 'e2.json'], match: 'first' });
    expect(parse('--rules', 'r.yaml', '--image', 'oci:/a', 'oci:/b', '--', 'events.jsonl')).toEqual({
      rules: ['r.yaml'],
      image: ['oci:/a', 'oci:/b'],
      events: ['events.jsonl'],
      match: 'first',
    });
    expect(parse('--rules', 'r.yaml', '--match', 'all', '--', '--odd-name.json')).toEqual({ rules: ['r.yaml'], events: ['--odd-name.json'], match: 'all' });
  });

  it('works the same for --image, repeated', () => {
    expect(parse('-r', 'r.yaml', '--image', 'oci:/a', '--image', 'docker-archive:b.tar', 'events.jsonl')).toEqual({
      rules: ['r.yaml'],
      image: ['oci:/a', 'docker-archive:b.tar'],
      events: ['events.jsonl'],
      match: 'first',
    });
  });

  it('still reports a missing operand or option value', () => {
    expect(() => parse('-r', 'a.yaml')).toThrow(/missing required argument 'events'/);
    expect(() => parse('events.json', '-r')).toThrow(/argument missing/);
  });

  it('rewrites only the list options it is given', () => {
    expect(rewriteListOptions(['--match', 'all', 'x'], [])).toEqual(['--match', 'all', 'x']);
  });
});

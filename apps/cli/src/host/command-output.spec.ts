import { Command } from 'commander';
import { addOutputOptions, CommandOutput } from './command-output';

/** A terminal's stderr as the progress line sees it: what was written, escape sequences and all. */
function terminal(): { isTTY: boolean; columns: number; written: string[]; write(text: string): boolean } {
  return {
    isTTY: true,
    columns: 40,
    written: [],
    write(text: string) {
      this.written.push(text);
      return true;
    },
  };
}

function output(): { output: CommandOutput; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { output: new CommandOutput({ out: (t) => out.push(t), err: (t) => err.push(t) }), out, err };
}

async function withQuiet(o: CommandOutput, quiet: boolean): Promise<void> {
  const program = new Command('bulkhead').exitOverride();
  program.command('work').action(() => undefined);
  addOutputOptions(program, o);
  await program.parseAsync(['work', ...(quiet ? ['--quiet'] : [])], { from: 'user' });
}

describe('the progress line', () => {
  const saved = process.env['BULKHEAD_PROGRESS'];
  const columns = process.env['COLUMNS'];
  beforeEach(() => delete process.env['COLUMNS']);
  afterEach(() => {
    if (columns !== undefined) process.env['COLUMNS'] = columns;
    if (saved === undefined) delete process.env['BULKHEAD_PROGRESS'];
    else process.env['BULKHEAD_PROGRESS'] = saved;
  });

  it('is redrawn in place on a terminal as the work moves, cut to its width, and cleared before the report', async () => {
    const { output: o, out } = output();
    const tty = terminal();
    const print = o.progressPrinter(tty);
    print(0, 'opening image');
    print(0, 'opening image'); // unchanged: not drawn again
    await new Promise((resolve) => setTimeout(resolve, 100));
    print(0.5, 'reading layer 1 of 2: 250 files, 11.3 MiB, and a long message past the width');
    expect(tty.written).toEqual(['\r\x1b[2K[  0%] opening image', '\r\x1b[2K[ 50%] reading layer 1 of 2: 250 files…']);
    o.out('the report');
    expect(tty.written.at(-1)).toBe('\r\x1b[2K');
    expect(out).toEqual(['the report']);
  });

  it('draws nothing on a pipe, unless BULKHEAD_PROGRESS=1 asks for one plain line per percent', () => {
    delete process.env['BULKHEAD_PROGRESS'];
    const piped = output();
    piped.output.progressPrinter({ isTTY: false, write: () => true })(0.5, 'half');
    expect(piped.err).toEqual([]);
    process.env['BULKHEAD_PROGRESS'] = '1';
    const asked = output();
    const print = asked.output.progressPrinter({ isTTY: false, write: () => true });
    print(0.501, 'half');
    print(0.509, 'still half');
    print(1, 'done');
    expect(asked.err).toEqual(['[ 50%] half', '[100%] done']);
  });

  it('draws nothing under --quiet, which drops notices but not errors', async () => {
    const { output: o, err } = output();
    await withQuiet(o, true);
    const tty = terminal();
    o.progressPrinter(tty)(0.5, 'half');
    o.info('ignored 3 results');
    o.err('warning: something');
    expect({ drawn: tty.written, err }).toEqual({ drawn: [], err: ['warning: something'] });
    const loud = output();
    await withQuiet(loud.output, false);
    loud.output.info('ignored 3 results');
    expect(loud.err).toEqual(['ignored 3 results']);
  });
});

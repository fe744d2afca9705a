import { PassThrough } from 'node:stream';
import { readPassword } from './password';

/** A terminal for the prompt: a stream with raw mode, as process.stdin is on a TTY. */
function terminal(typed: string[]): NodeJS.ReadStream & { rawModes: boolean[] } {
  const stream = new PassThrough() as unknown as NodeJS.ReadStream & { rawModes: boolean[]; isRaw: boolean };
  stream.rawModes = [];
  stream.isRaw = false;
  stream.setRawMode = (mode: boolean) => {
    stream.rawModes.push(mode);
    stream.isRaw = mode;
    // Keys arrive once the prompt is listening, one answer per prompt.
    if (mode) setImmediate(() => (stream as unknown as PassThrough).write(typed.shift() ?? ''));
    return stream;
  };
  return stream;
}

describe('the cosign.key password', () => {
  it('comes from COSIGN_PASSWORD when set, even empty (cosign allows an empty password)', async () => {
    await expect(readPassword({ env: { COSIGN_PASSWORD: 's3cret' }, promptTo: () => undefined }, true)).resolves.toBe('s3cret');
    await expect(readPassword({ env: { COSIGN_PASSWORD: '' }, promptTo: () => undefined }, true)).resolves.toBe('');
  });

  it('is prompted for on a terminal without echo, twice for a new key; raw mode is restored', async () => {
    let shown = '';
    const tty = terminal(['pa\u007fass\r', 'pass\r']);
    await expect(readPassword({ env: {}, tty, promptTo: (t) => (shown += t) }, true)).resolves.toBe('pass');
    expect(shown).toBe('Enter password for private key: \nEnter password for private key again: \n');
    expect(shown).not.toContain('pass\n');
    expect(tty.rawModes).toEqual([true, false, true, false]);
  });

  it('two different answers, or Ctrl-C, are errors', async () => {
    await expect(readPassword({ env: {}, tty: terminal(['one\r', 'two\r']), promptTo: () => undefined }, true)).rejects.toThrow('passwords do not match');
    await expect(readPassword({ env: {}, tty: terminal(['ab\u0003']), promptTo: () => undefined }, false)).rejects.toThrow('interrupted');
  });

  it('without the variable and without a terminal is a clear error, not a hang', async () => {
    await expect(readPassword({ env: {}, promptTo: () => undefined }, false)).rejects.toThrow(/COSIGN_PASSWORD is not set and standard input is not a terminal/);
  });
});

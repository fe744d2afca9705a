import { CliError } from '@bulkhead/plugin-sdk/cli';

/** cosign's variable for the cosign.key password. */
export const PASSWORD_VARIABLE = 'COSIGN_PASSWORD';

export interface PasswordSource {
  env: NodeJS.ProcessEnv;
  /** Standard input when it is a terminal (then the password is prompted for), else undefined. */
  tty?: NodeJS.ReadStream;
  /** Where prompts go (standard error). */
  promptTo: (text: string) => void;
}

export function defaultPasswordSource(): PasswordSource {
  return { env: process.env, ...(process.stdin.isTTY ? { tty: process.stdin } : {}), promptTo: (text) => process.stderr.write(text) };
}

/**
 * The password of cosign.key: $COSIGN_PASSWORD (set but empty is an empty password, as in
 * cosign), else prompted on a terminal without echo (twice when `confirm`, for a new key). No
 * terminal and no variable: a clear error rather than a hang on a pipe.
 */
export async function readPassword(source: PasswordSource, confirm: boolean): Promise<string> {
  const fromEnv = source.env[PASSWORD_VARIABLE];
  if (fromEnv !== undefined) return fromEnv;
  if (!source.tty) throw new CliError(`${PASSWORD_VARIABLE} is not set and standard input is not a terminal to ask for the cosign.key password`);
  const first = await promptHidden(source.tty, source.promptTo, 'Enter password for private key: ');
  if (!confirm) return first;
  const second = await promptHidden(source.tty, source.promptTo, 'Enter password for private key again: ');
  if (first !== second) throw new CliError('passwords do not match');
  return first;
}

function promptHidden(tty: NodeJS.ReadStream, promptTo: (text: string) => void, prompt: string): Promise<string> {
  promptTo(prompt);
  return new Promise((resolve, reject) => {
    let text = '';
    const wasRaw = tty.isRaw;
    tty.setRawMode(true);
    tty.resume();
    tty.setEncoding('utf8');
    const done = (error?: Error) => {
      tty.off('data', onData);
      tty.setRawMode(wasRaw);
      tty.pause();
      promptTo('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('interrupted'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else text += ch;
      }
    };
    tty.on('data', onData);
  });
}

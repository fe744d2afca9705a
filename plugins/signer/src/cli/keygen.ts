import { open } from 'node:fs/promises';
import { generateCosignKeyPair } from '@bulkhead/signing';
import { CliError, EXIT_CODES, type CliHost } from '@bulkhead/plugin-sdk/cli';
import { readPassword, type PasswordSource } from './password';

/**
 * `bulkhead keygen`: a key pair in cosign's format, `<prefix>.key` (ECDSA P-256, encrypted with
 * the password: scrypt + nacl/secretbox, PEM "ENCRYPTED SIGSTORE PRIVATE KEY", mode 0600) and
 * `<prefix>.pub`. Existing files are never overwritten (O_EXCL), and a half-written pair is not
 * left behind.
 */
export async function keygen(prefix: string, host: Pick<CliHost, 'out'>, passwords: PasswordSource): Promise<number> {
  if (!prefix || prefix.endsWith('/')) throw new CliError(`--output-key-prefix ${JSON.stringify(prefix)}: give a file name prefix, e.g. cosign`, EXIT_CODES.usage);
  const keyFile = `${prefix}.key`;
  const pubFile = `${prefix}.pub`;
  const password = await readPassword(passwords, true);
  const pair = await generateCosignKeyPair(password);
  const key = await createExclusive(keyFile, 0o600);
  try {
    const pub = await createExclusive(pubFile, 0o644).catch(async (error: unknown) => {
      await key.handle.close();
      await key.remove();
      throw error;
    });
    await key.handle.writeFile(pair.privateKeyPem);
    await pub.handle.writeFile(pair.publicKeyPem);
    await pub.handle.close();
  } finally {
    await key.handle.close().catch(() => undefined);
  }
  host.out(`Private key written to ${keyFile}\nPublic key written to ${pubFile}`);
  return EXIT_CODES.ok;
}

async function createExclusive(file: string, mode: number) {
  try {
    const handle = await open(file, 'wx', mode);
    const { unlink } = await import('node:fs/promises');
    return { handle, remove: () => unlink(file).catch(() => undefined) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new CliError(`${file} already exists: refusing to overwrite it (move it away or pick another --output-key-prefix)`);
    throw new CliError(`${file}: ${(error as Error).message}`);
  }
}

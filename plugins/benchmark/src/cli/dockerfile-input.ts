import { readFile } from 'node:fs/promises';
import { cannotReadMessage } from '@bulkhead/plugin-sdk/cli';
import { dockerfileSyntaxErrors } from '../docker/dockerfile-syntax';
import type { InputError } from './bench-output';

/** A Dockerfile's text, or why it cannot be checked (unreadable, empty, not a Dockerfile, unknown instruction). */
export type DockerfileInput = { text: string } | { errors: InputError[] };

/**
 * Reads a file given to `bench dockerfile` and makes sure it is a Dockerfile before the rules
 * run: the rules pass any text (a YAML file or an empty file has nothing they object to), so
 * without this a wrong file would be reported as clean.
 */
export async function readDockerfileInput(file: string): Promise<DockerfileInput> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { errors: [{ file, message: cannotReadMessage(file, error, 'Dockerfile') }] };
  }
  const errors = dockerfileSyntaxErrors(text, file);
  return errors.length > 0 ? { errors } : { text };
}

export { dockerfileSyntaxErrors };

import { readFile } from 'node:fs/promises';
import { cannotReadMessage } from '@bulkhead/plugin-sdk/cli';
import { DockerfileParser } from 'dockerfile-ast';
import type { InputError } from './bench-output';

// The instructions BuildKit's Dockerfile frontend accepts; any other keyword fails `docker build`.
const INSTRUCTIONS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

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

/** Why `text` is not a Dockerfile docker could build, or [] when its instructions are all known. */
export function dockerfileSyntaxErrors(text: string, file: string): InputError[] {
  const instructions = DockerfileParser.parse(text).getInstructions();
  const first = instructions[0];
  if (!first) return [{ file, message: `${file}: not a Dockerfile: ${text.trim() === '' ? 'the file is empty' : 'it has only comments'} (no FROM instruction)` }];
  const keyword = first.getKeyword().toUpperCase();
  const firstLine = first.getRange().start.line + 1;
  if (!INSTRUCTIONS.has(keyword)) {
    const shown = first.getKeyword().slice(0, 40);
    return [{ file, line: firstLine, message: `${file}:${firstLine}: not a Dockerfile: ${JSON.stringify(shown)} is not a Dockerfile instruction (a Dockerfile starts with FROM, or ARG before FROM)` }];
  }
  return instructions
    .filter((i) => !INSTRUCTIONS.has(i.getKeyword().toUpperCase()))
    .map((i) => {
      const line = i.getRange().start.line + 1;
      return { file, line, message: `${file}:${line}: unknown instruction ${JSON.stringify(i.getKeyword().slice(0, 40))}` };
    });
}

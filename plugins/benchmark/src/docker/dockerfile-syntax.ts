import { DockerfileParser } from 'dockerfile-ast';

/** Why a file cannot be checked as a Dockerfile, naming the file (and line) in words. */
export interface DockerfileSyntaxError {
  file: string;
  line?: number;
  message: string;
}

// The instructions BuildKit's Dockerfile frontend accepts; any other keyword fails `docker build`.
const INSTRUCTIONS = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);

/** Why `text` is not a Dockerfile docker could build, or [] when its instructions are all known. */
export function dockerfileSyntaxErrors(text: string, file: string): DockerfileSyntaxError[] {
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

import { baseImageOf, dropQuotes, type DockerInstruction } from './dockerfile-model';
import { instructionRule, type HadolintRule } from './rule';

/** hadolint rules that judge one non-RUN instruction alone (src/Hadolint/Rule/DL*.hs). */

/** hadolint's archiveFileFormatExtensions: what ADD unpacks. */
export const ARCHIVE_EXTENSIONS = ['.tar', '.Z', '.bz2', '.gz', '.lz', '.lzma', '.tZ', '.tb2', '.tbz', '.tbz2', '.tgz', '.tlz', '.tpz', '.txz', '.xz'];
export const isArchive = (path: string): boolean => ARCHIVE_EXTENSIONS.some((ext) => dropQuotes(path).endsWith(ext));

/** Sources and target of COPY/ADD, in shell or JSON form. */
export function copyArgs(inst: DockerInstruction): { sources: string[]; target: string } {
  const words = inst.exec ?? inst.words;
  return { sources: words.slice(0, -1), target: words[words.length - 1] ?? '' };
}

const isWindowsAbsolute = (path: string): boolean => /^[A-Za-z]:/.test(path);

const DL3000 = instructionRule({ id: 'DL3000', level: 'error', message: 'Use absolute WORKDIR.' }, (inst) => {
  if (inst.keyword !== 'WORKDIR') return true;
  const dir = dropQuotes(inst.text);
  return dir.startsWith('$') || dir.startsWith('/') || isWindowsAbsolute(dir);
});

const DL3007 = instructionRule(
  {
    id: 'DL3007',
    level: 'warning',
    message: 'Using latest is prone to errors if the image will ever update. Pin the version explicitly to a release tag',
  },
  (inst) => inst.keyword !== 'FROM' || baseImageOf(inst).tag !== 'latest',
);

const DL3011 = instructionRule({ id: 'DL3011', level: 'error', message: 'Valid UNIX ports range from 0 to 65535' }, (inst) => {
  if (inst.keyword !== 'EXPOSE') return true;
  return inst.words.every((word) => {
    const ports = word.slice(0, word.includes('/') ? word.indexOf('/') : undefined).split('-');
    return ports.every((p) => !/^\d+$/.test(p) || Number(p) <= 65535);
  });
});

const DL3020 = instructionRule({ id: 'DL3020', level: 'error', message: 'Use COPY instead of ADD for files and folders' }, (inst) => {
  if (inst.keyword !== 'ADD') return true;
  return copyArgs(inst).sources.every((src) => isArchive(src) || /^(https?):\/\//.test(dropQuotes(src)));
});

const DL3021 = instructionRule({ id: 'DL3021', level: 'error', message: 'COPY with more than 2 arguments requires the last argument to end with /.' }, (inst) => {
  if (inst.keyword !== 'COPY') return true;
  const { sources, target } = copyArgs(inst);
  return sources.length <= 1 || dropQuotes(target).endsWith('/');
});

const DL3025 = instructionRule({ id: 'DL3025', level: 'warning', message: 'Use arguments JSON notation for CMD and ENTRYPOINT arguments' }, (inst) =>
  (inst.keyword !== 'CMD' && inst.keyword !== 'ENTRYPOINT') || inst.exec !== undefined,
);

const DL3029 = instructionRule({ id: 'DL3029', level: 'warning', message: 'Do not use --platform flag with FROM' }, (inst) => {
  if (inst.keyword !== 'FROM') return true;
  // Building for the platform BuildKit was asked for is fine (newer hadolint).
  const platform = baseImageOf(inst).platform;
  return platform === undefined || platform === '' || platform.includes('BUILDPLATFORM') || platform.includes('TARGETPLATFORM');
});

const DL3043: HadolintRule = {
  id: 'DL3043',
  level: 'error',
  message: '`ONBUILD`, `FROM` or `MAINTAINER` triggered from within `ONBUILD` instruction.',
  check(instructions, report) {
    for (const inst of instructions) {
      if (inst.trigger && ['ONBUILD', 'FROM', 'MAINTAINER'].includes(inst.trigger.keyword)) report(inst);
    }
  },
};

function validLabelKey(key: string): boolean {
  return (
    /^[a-z]/.test(key) &&
    /[a-z0-9]$/.test(key) &&
    /^[a-z0-9.-]*$/.test(key) &&
    !['com.docker.', 'io.docker.', 'org.dockerproject.'].some((ns) => key.startsWith(ns)) &&
    !key.includes('..') &&
    !key.includes('--')
  );
}

const DL3048 = instructionRule({ id: 'DL3048', level: 'style', message: 'Invalid label key.' }, (inst) =>
  inst.keyword !== 'LABEL' || inst.pairs.every((p) => validLabelKey(p.name)),
);

const DL4000 = instructionRule({ id: 'DL4000', level: 'error', message: 'MAINTAINER is deprecated' }, (inst) => inst.keyword !== 'MAINTAINER');

export const INSTRUCTION_RULES: HadolintRule[] = [DL3000, DL3007, DL3011, DL3020, DL3021, DL3025, DL3029, DL3043, DL3048, DL4000];

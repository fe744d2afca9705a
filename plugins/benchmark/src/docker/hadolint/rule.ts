import type { DockerInstruction } from './dockerfile-model';
import type { ParsedShell } from './shell';

/** hadolint's severities, in its order of weight. */
export type HadolintLevel = 'error' | 'warning' | 'info' | 'style';

export interface HadolintRuleMeta {
  id: string;
  /** The default level; `ignore` rules report only when the `override` option gives them a level. */
  level: HadolintLevel | 'ignore';
  /** hadolint's message, word for word. */
  message: string;
}

/** Reports a problem of the rule at an instruction. */
export type Report = (at: DockerInstruction) => void;

export interface HadolintRule extends HadolintRuleMeta {
  /** Walks the instructions (ONBUILD left wrapped) and reports each failing one. */
  check(instructions: DockerInstruction[], report: Report): void;
}

/**
 * A rule that judges each instruction alone; `passes` is true when it is fine. Like hadolint,
 * it also judges the instruction inside an ONBUILD (reported at the ONBUILD line).
 */
export function instructionRule(meta: HadolintRuleMeta, passes: (inst: DockerInstruction) => boolean): HadolintRule {
  return {
    ...meta,
    check(instructions, report) {
      for (const inst of instructions) {
        const target = inst.trigger ?? inst;
        if (!passes(target)) report(inst);
      }
    },
  };
}

/** An instruction rule over RUN scripts: `passes` sees the parsed shell and the RUN itself. */
export function runRule(meta: HadolintRuleMeta, passes: (shell: ParsedShell, run: DockerInstruction) => boolean): HadolintRule {
  return instructionRule(meta, (inst) => inst.keyword !== 'RUN' || inst.shell === undefined || passes(inst.shell, inst));
}

/** The RUN instructions that ONBUILD wraps, as their own stream (hadolint's `onbuild` rule variant). */
export function onbuildStream(instructions: DockerInstruction[]): DockerInstruction[] {
  return instructions.flatMap((i) => (i.trigger ? [i.trigger] : []));
}

/** Instructions with ONBUILD lines removed (they are judged by the `onbuild` variant). */
export function plainStream(instructions: DockerInstruction[]): DockerInstruction[] {
  return instructions.filter((i) => i.keyword !== 'ONBUILD');
}

/** True when a RUN has a `--mount=type=cache` whose target starts with `dir`. */
export function hasCacheMount(run: DockerInstruction, dir: string): boolean {
  return run.flags.some((f) => {
    if (f.name !== 'mount' || f.value === null) return false;
    const options = new Map(f.value.split(',').map((kv) => [kv.slice(0, Math.max(0, kv.indexOf('='))), kv.slice(kv.indexOf('=') + 1)]));
    return options.get('type') === 'cache' && (options.get('target') ?? options.get('dst') ?? options.get('destination') ?? '').startsWith(dir);
  });
}

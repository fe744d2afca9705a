import { formatDiagnostic } from '../engine/diagnostics';
import { loadRulesFrom } from '../engine/rules-source';

export interface CliResult {
  output: string;
  exitCode: number;
}

/**
 * `bulkhead runtime rules validate <files...>`: loads the files together (as Falco would) and
 * lists every error and warning as `file:line:col: severity: message`. Exit code 1 on errors.
 */
export async function runRulesValidate(files: readonly string[]): Promise<CliResult> {
  if (files.length === 0) return { output: 'rules validate: no rules files given\n', exitCode: 2 };
  const result = await loadRulesFrom({ files });
  const lines = [...result.errors, ...result.warnings].map(formatDiagnostic);
  const enabled = result.rules.filter((r) => r.enabled).length;
  lines.push(
    `${files.length} file(s): ${result.rules.length} rule(s) compiled (${enabled} enabled), ${result.errors.length} error(s), ${result.warnings.length} warning(s)${result.errors.length ? '' : ': OK'}`,
  );
  return { output: `${lines.join('\n')}\n`, exitCode: result.errors.length > 0 ? 1 : 0 };
}

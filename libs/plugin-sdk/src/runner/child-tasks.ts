import { SEVERITIES, type Severity } from '../results';
import { MAX_FLOW_CHILDREN, type ChildFinding, type ChildTaskRequest, type TaskDefinition } from '../task';
import { BadInputError } from '../errors';

/** Counts findings by severity, leaving SUPPRESSED ones out (a person decided they do not count). */
export function severityCounts(findings: readonly Pick<ChildFinding, 'severity' | 'status'>[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of findings) if (finding.status !== 'SUPPRESSED') counts[finding.severity]++;
  return counts;
}

/**
 * The children a definition declares for this (validated) input, checked: a list of at most
 * MAX_FLOW_CHILDREN requests. Throws BadInputError otherwise (the input decides the count).
 */
export function declaredChildren(definition: TaskDefinition, input: unknown): readonly ChildTaskRequest[] {
  if (!definition.children) return [];
  const requests = definition.children(input);
  if (!Array.isArray(requests)) throw new Error(`task ${definition.type}: children() must return an array`);
  if (requests.length > MAX_FLOW_CHILDREN) {
    throw new BadInputError(`task ${definition.type} asks for ${requests.length} child tasks; at most ${MAX_FLOW_CHILDREN} are allowed`);
  }
  return requests;
}

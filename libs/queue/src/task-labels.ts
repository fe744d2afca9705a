import { BadInputError } from '@bulkhead/plugin-sdk';

/**
 * The label that numbers a flow's child among its parent's declared children (0, 1, ...)
 * (TaskDefinition.children): the worker finds a parent's children by it, and cancelling the
 * parent cancels the unfinished ones.
 */
export const FLOW_CHILD_LABEL = 'bulkhead.io/flow-child';

/** At most this many labels per task. */
export const MAX_TASK_LABELS = 32;
/** Label keys: like Kubernetes label keys, an optional `prefix/` then a name; at most 128 characters. */
const LABEL_KEY = /^(?:[a-z0-9](?:[a-z0-9.-]{0,61}[a-z0-9])?\/)?[A-Za-z0-9](?:[A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
/** Label values: any text up to this many characters. */
export const MAX_LABEL_VALUE_LENGTH = 256;

/**
 * Checks a task's labels (a JSON object of strings, stored as given) and returns them, or throws
 * a BadInputError naming every problem. Undefined or null means none.
 */
export function parseTaskLabels(labels: unknown): Record<string, string> {
  if (labels === undefined || labels === null) return {};
  if (typeof labels !== 'object' || Array.isArray(labels)) throw new BadInputError(`labels: expected an object of strings, got ${Array.isArray(labels) ? 'an array' : typeof labels}`);
  const entries = Object.entries(labels as Record<string, unknown>);
  const problems: string[] = [];
  if (entries.length > MAX_TASK_LABELS) problems.push(`at most ${MAX_TASK_LABELS} labels (got ${entries.length})`);
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key)) problems.push(`${JSON.stringify(key.slice(0, 80))}: keys are [prefix/]name of letters, digits, '.', '_', '-' (name at most 63 characters)`);
    if (typeof value !== 'string') problems.push(`${JSON.stringify(key.slice(0, 80))}: value must be a string, got ${value === null ? 'null' : typeof value}`);
    else if (value.length > MAX_LABEL_VALUE_LENGTH) problems.push(`${JSON.stringify(key.slice(0, 80))}: value longer than ${MAX_LABEL_VALUE_LENGTH} characters`);
  }
  if (problems.length > 0) throw new BadInputError(`labels: ${problems.join('; ')}`);
  return Object.fromEntries(entries) as Record<string, string>;
}

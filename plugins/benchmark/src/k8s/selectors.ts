import { objs, str, stringMap, strs, type KObject } from './objects';

/**
 * Kubernetes LabelSelector semantics (metav1.LabelSelectorAsSelector): every matchLabels pair and
 * every matchExpressions requirement must hold; an empty selector matches everything. An
 * unknown operator makes the selector invalid, and an invalid selector matches nothing.
 */
export function selectorMatches(selector: KObject | undefined, labels: Record<string, string>): boolean {
  return compileSelector(selector)(labels);
}

export type LabelMatcher = (labels: Record<string, string>) => boolean;

/** Compiles a selector once, for matching it against many label sets (policies × pods). */
export function compileSelector(selector: KObject | undefined): LabelMatcher {
  if (!selector) return () => true;
  const pairs = Object.entries(stringMap(selector['matchLabels']));
  const requirements: LabelMatcher[] = [];
  for (const expr of objs(selector['matchExpressions'])) {
    const key = str(expr['key']);
    const values = new Set(strs(expr['values']));
    const has = (labels: Record<string, string>) => Object.prototype.hasOwnProperty.call(labels, key);
    switch (str(expr['operator'])) {
      case 'In':
        requirements.push((labels) => has(labels) && values.has(labels[key] ?? ''));
        break;
      case 'NotIn':
        requirements.push((labels) => !has(labels) || !values.has(labels[key] ?? ''));
        break;
      case 'Exists':
        requirements.push(has);
        break;
      case 'DoesNotExist':
        requirements.push((labels) => !has(labels));
        break;
      default:
        return () => false;
    }
  }
  return (labels) => pairs.every(([k, v]) => labels[k] === v) && requirements.every((r) => r(labels));
}

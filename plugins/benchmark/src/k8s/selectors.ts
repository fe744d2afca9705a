import { objs, str, stringMap, strs, type KObject } from './objects';

/**
 * Kubernetes LabelSelector semantics (metav1.LabelSelectorAsSelector): every matchLabels pair and
 * every matchExpressions requirement must hold; an empty selector matches everything. An
 * unknown operator makes the selector invalid, and an invalid selector matches nothing.
 */
export function selectorMatches(selector: KObject | undefined, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(stringMap(selector['matchLabels']))) {
    if (labels[key] !== value) return false;
  }
  for (const expr of objs(selector['matchExpressions'])) {
    const key = str(expr['key']);
    const values = strs(expr['values']);
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (str(expr['operator'])) {
      case 'In':
        if (!has || !values.includes(labels[key] ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[key] ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

import type { ManifestObject } from '../k8s/load';
import { obj, objs, stringMap, strs } from '../k8s/objects';
import { selectorMatches } from '../k8s/selectors';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  nonResourceURLs: string[];
}

export function rulesOf(role: ManifestObject): PolicyRule[] {
  return objs(role.object['rules']).map((r) => ({
    apiGroups: strs(r['apiGroups']),
    resources: strs(r['resources']),
    verbs: strs(r['verbs']),
    nonResourceURLs: strs(r['nonResourceURLs']),
  }));
}

/** Resource matching as the RBAC authorizer does (rbac/v1 ResourceMatches): `*`, exact, and `*\/sub`. */
function resourceMatches(ruleResource: string, resource: string): boolean {
  if (ruleResource === '*' || ruleResource === resource) return true;
  const slash = resource.indexOf('/');
  if (slash < 0) return false;
  return ruleResource === `*/${resource.slice(slash + 1)}`;
}

/** Whether a rule allows `verb` on `resource` (may be `res/sub`) in API group `group` ("" = core). */
export function ruleGrants(rule: PolicyRule, group: string, resource: string, verb: string): boolean {
  return (
    (rule.apiGroups.includes('*') || rule.apiGroups.includes(group)) &&
    rule.resources.some((r) => resourceMatches(r, resource)) &&
    (rule.verbs.includes('*') || rule.verbs.includes(verb))
  );
}

export function rulesGrant(rules: readonly PolicyRule[], group: string, resources: readonly string[], verbs: readonly string[]): string[] {
  const granted: string[] = [];
  for (const resource of resources) {
    for (const verb of verbs) {
      if (rules.some((r) => ruleGrants(r, group, resource, verb))) granted.push(`${verb} ${resource}`);
    }
  }
  return granted;
}

/**
 * Effective rules of every Role and ClusterRole: a ClusterRole with an aggregationRule also gets
 * the rules of every ClusterRole whose labels match one of its clusterRoleSelectors (transitively),
 * as the aggregation controller would fill them in.
 */
export function effectiveRules(roles: readonly ManifestObject[]): Map<ManifestObject, PolicyRule[]> {
  const clusterRoles = roles.filter((r) => r.kind === 'ClusterRole');
  const result = new Map<ManifestObject, PolicyRule[]>();
  const resolve = (role: ManifestObject, visiting: Set<ManifestObject>): PolicyRule[] => {
    const known = result.get(role);
    if (known) return known;
    const own = rulesOf(role);
    const aggregation = obj(role.object['aggregationRule']);
    if (role.kind !== 'ClusterRole' || !aggregation || visiting.has(role)) return own;
    visiting.add(role);
    const selectors = objs(aggregation['clusterRoleSelectors']);
    const rules = [...own];
    for (const other of clusterRoles) {
      if (other === role) continue;
      const labels = stringMap(obj(other.object['metadata'])?.['labels']);
      if (selectors.some((s) => selectorMatches(s, labels))) rules.push(...resolve(other, visiting));
    }
    visiting.delete(role);
    result.set(role, rules);
    return rules;
  };
  for (const role of roles) result.set(role, resolve(role, new Set()));
  return result;
}

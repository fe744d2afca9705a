/*
 * Where the alerts query looks inside a runtime finding's `data` (the Falco alert that
 * alertToFinding stored). One list for the query (alert-filter.ts) and the indexes that serve it
 * (migrations/0001-alert-indexes.ts): both turn these paths into SQL with the host's
 * findingDataExpression, so a query expression and its index expression cannot differ.
 */

/** Falco's `time`: RFC 3339 UTC with 9 fraction digits, so text order is time order. */
export const ALERT_TIME = ['time'] as const;
export const ALERT_PRIORITY = ['priority'] as const;
export const ALERT_IMAGE_REPOSITORY = ['output_fields', 'container.image.repository'] as const;
export const ALERT_IMAGE = ['output_fields', 'container.image'] as const;
/** Syscall alerts name the namespace `k8s.ns.name`; audit alerts `ka.target.namespace`. */
export const ALERT_NAMESPACE = ['output_fields', 'k8s.ns.name'] as const;
export const ALERT_NAMESPACE_FALLBACK = ['output_fields', 'ka.target.namespace'] as const;
/**
 * Syscall alerts name the pod `k8s.pod.name`. Audit alerts are not matched on pods: Falco names
 * their object `ka.target.name` for every resource kind (a ConfigMap can share a pod's name), so
 * matching them needs `ka.target.resource = "pods"` too, a condition the single-path index cannot hold.
 */
export const ALERT_POD = ['output_fields', 'k8s.pod.name'] as const;

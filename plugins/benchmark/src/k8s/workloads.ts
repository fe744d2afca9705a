import { obj, type KObject } from './objects';
import type { ManifestObject } from './load';

/** Kinds whose pods the Pod Security Standards apply to, as pod-security-admission evaluates them. */
export const WORKLOAD_KINDS = ['Pod', 'PodTemplate', 'ReplicationController', 'ReplicaSet', 'Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

const WORKLOAD_SET: ReadonlySet<string> = new Set(WORKLOAD_KINDS);

export function isWorkload(o: Pick<ManifestObject, 'kind'>): boolean {
  return WORKLOAD_SET.has(o.kind);
}

export interface PodTemplate {
  metadata: KObject;
  spec: KObject;
}

/**
 * The pod (metadata and spec) a workload creates: the Pod itself, `template` of a PodTemplate,
 * `spec.template` of controllers, `spec.jobTemplate.spec.template` of a CronJob. Undefined for
 * other kinds and for workloads without a template.
 */
export function podTemplateOf(o: Pick<ManifestObject, 'kind' | 'object'>): PodTemplate | undefined {
  let template: KObject | undefined;
  switch (o.kind) {
    case 'Pod':
      template = o.object;
      break;
    case 'PodTemplate':
      template = obj(o.object['template']);
      break;
    case 'CronJob':
      template = obj(obj(obj(obj(o.object['spec'])?.['jobTemplate'])?.['spec'])?.['template']);
      break;
    default:
      template = WORKLOAD_SET.has(o.kind) ? obj(obj(o.object['spec'])?.['template']) : undefined;
  }
  if (!template) return undefined;
  return { metadata: obj(template['metadata']) ?? {}, spec: obj(template['spec']) ?? {} };
}

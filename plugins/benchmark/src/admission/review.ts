/*
 * AdmissionReview v1 (admission.k8s.io/v1) as the API server sends it to a validating webhook,
 * and the pod template each admitted kind carries. Hostile input: every field is checked before
 * use, and a malformed review names what is wrong (answered 400).
 */

export class MalformedReviewError extends Error {}

type KObject = Record<string, unknown>;

function isObject(value: unknown): value is KObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface ParsedReview {
  uid: string;
  kind: string;
  name: string;
  namespace: string;
  operation: string;
  /** A `kubectl --dry-run=server` request: decided but never recorded (the webhook declares sideEffects NoneOnDryRun). */
  dryRun: boolean;
  /** The object's pod template (metadata and spec); null for a kind the webhook does not judge (allowed). */
  pod: { metadata: KObject; spec: KObject } | null;
}

/** Where each workload kind keeps its pod template. */
const TEMPLATE_PATHS: Record<string, readonly string[]> = {
  Pod: [],
  Deployment: ['spec', 'template'],
  StatefulSet: ['spec', 'template'],
  DaemonSet: ['spec', 'template'],
  ReplicaSet: ['spec', 'template'],
  Job: ['spec', 'template'],
  CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

export const ADMITTED_KINDS = Object.keys(TEMPLATE_PATHS);

export function parseAdmissionReview(body: unknown): ParsedReview {
  if (!isObject(body)) throw new MalformedReviewError('the body is not a JSON object');
  if (body['apiVersion'] !== 'admission.k8s.io/v1') throw new MalformedReviewError(`apiVersion: ${JSON.stringify(body['apiVersion'])} is not admission.k8s.io/v1`);
  if (body['kind'] !== 'AdmissionReview') throw new MalformedReviewError(`kind: ${JSON.stringify(body['kind'])} is not AdmissionReview`);
  const request = body['request'];
  if (!isObject(request)) throw new MalformedReviewError('request: missing or not an object');
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid.length === 0 || uid.length > 128) throw new MalformedReviewError('request.uid: missing or not a string of 1..128 characters');
  const kindRef = request['kind'];
  if (!isObject(kindRef) || typeof kindRef['kind'] !== 'string') throw new MalformedReviewError('request.kind.kind: missing or not a string');
  const operation = typeof request['operation'] === 'string' ? request['operation'] : '';
  const kind = kindRef['kind'];
  const name = typeof request['name'] === 'string' ? request['name'] : '';
  const namespace = typeof request['namespace'] === 'string' ? request['namespace'] : '';
  const dryRun = request['dryRun'] === true;
  const path = TEMPLATE_PATHS[kind];
  // DELETE carries no object; CONNECT and other kinds are not ours to judge.
  if (!path || operation === 'DELETE' || operation === 'CONNECT') return { uid, kind, name, namespace, operation, dryRun, pod: null };
  const object = request['object'];
  if (!isObject(object)) throw new MalformedReviewError(`request.object: missing or not an object (a ${kind} ${operation || 'request'})`);
  let template: unknown = object;
  for (const key of path) template = isObject(template) ? template[key] : undefined;
  const where = ['request.object', ...path].join('.');
  if (!isObject(template)) throw new MalformedReviewError(`${where}: missing or not an object`);
  const spec = template['spec'];
  if (!isObject(spec)) throw new MalformedReviewError(`${where}.spec: missing or not an object`);
  const metadata = isObject(template['metadata']) ? template['metadata'] : {};
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec[field];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.some((c) => !isObject(c) || typeof c['image'] !== 'string')) {
      throw new MalformedReviewError(`${where}.spec.${field}: not a list of containers each with an image string`);
    }
  }
  if (!Array.isArray(spec['containers'])) throw new MalformedReviewError(`${where}.spec.containers: missing`);
  return { uid, kind, name, namespace, operation, dryRun, pod: { metadata, spec } };
}

/** Every image the pod runs (containers, init and ephemeral containers), each once, in order. */
export function podImages(spec: KObject): string[] {
  const images = new Set<string>();
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    const list = spec[field];
    if (Array.isArray(list)) for (const c of list) images.add((c as KObject)['image'] as string);
  }
  return [...images];
}

export interface AdmissionDecision {
  allowed: boolean;
  /** Why it was denied (or would have been, in dry-run): one line per broken rule. */
  reasons: string[];
  /** Warnings shown to the kubectl user (dry-run denials, fail-open errors). */
  warnings: string[];
}

/** The AdmissionReview v1 response the API server expects. */
export function admissionResponse(uid: string, decision: AdmissionDecision): Record<string, unknown> {
  const response: Record<string, unknown> = { uid, allowed: decision.allowed };
  if (!decision.allowed) response['status'] = { code: 403, reason: 'Forbidden', message: decision.reasons.join('; ') };
  if (decision.warnings.length) response['warnings'] = decision.warnings.slice(0, 20).map((w) => w.slice(0, 1000));
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response };
}

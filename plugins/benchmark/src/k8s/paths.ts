/**
 * Field paths: how a check names the field a finding is about, e.g.
 * `spec.template.spec.containers[0].securityContext.privileged` or `rules[2]`. A path is relative
 * to the object (the manifest document, or the List item); keys are joined with `.`, sequence
 * indexes written `[i]`, and a key that is not a plain identifier (`app.kubernetes.io/name`)
 * is written as a quoted JSON string in brackets: `metadata.labels["app.kubernetes.io/name"]`.
 * The location resolver (./locate.ts) maps a path to the lines of that field in the file.
 */

export type PathSegment = string | number;

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Builds a field path string from its segments. */
export function fieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** Splits a field path into segments; undefined when it is not a well-formed path. */
export function parseFieldPath(path: string): PathSegment[] | undefined {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === '[') {
      const close = path[i + 1] === '"' ? closingQuote(path, i + 1) + 1 : path.indexOf(']', i);
      if (close <= i || path[close] !== ']') return undefined;
      const inner = path.slice(i + 1, close);
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else {
        try {
          const key: unknown = JSON.parse(inner);
          if (typeof key !== 'string') return undefined;
          out.push(key);
        } catch {
          return undefined;
        }
      }
      i = close + 1;
    } else {
      if (c === '.') {
        if (out.length === 0) return undefined;
        i++;
      }
      const m = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(path.slice(i));
      if (!m) return undefined;
      out.push(m[0]);
      i += m[0].length;
    }
  }
  return out;
}

function closingQuote(s: string, open: number): number {
  for (let i = open + 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/**
 * Path segments of the pod spec inside a workload of this kind: `spec` of a Pod,
 * `template.spec` of a PodTemplate, `spec.jobTemplate.spec.template.spec` of a CronJob,
 * `spec.template.spec` of the other controllers.
 */
export function podSpecSegments(kind: string): PathSegment[] {
  switch (kind) {
    case 'Pod':
      return ['spec'];
    case 'PodTemplate':
      return ['template', 'spec'];
    case 'CronJob':
      return ['spec', 'jobTemplate', 'spec', 'template', 'spec'];
    default:
      return ['spec', 'template', 'spec'];
  }
}

/** Same as podSpecSegments, for the pod template's metadata (annotations, labels). */
export function podMetadataSegments(kind: string): PathSegment[] {
  const spec = podSpecSegments(kind);
  return kind === 'Pod' ? ['metadata'] : [...spec.slice(0, -1), 'metadata'];
}

/** The pod spec's path as a string: `spec`, `template.spec`, `spec.template.spec`, `spec.jobTemplate.spec.template.spec`. */
export function podSpecPath(kind: string): string {
  return fieldPath(podSpecSegments(kind));
}

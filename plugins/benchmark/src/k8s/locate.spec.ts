import { positionTree, resolveField, type ObjectSource } from './locate';

const DEPLOYMENT = `# leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: init
        image: busybox
      - name: web
        image: nginx   # trailing comment
        securityContext:
          privileged: true
          runAsUser: 0

        # a comment between
        ports:
        - containerPort: 80
          hostPort: 80
`;

function resolve(text: string, path: string, source: Partial<ObjectSource> = {}) {
  const src: ObjectSource = { text, firstLine: 0, prefix: [], ...source };
  return resolveField(src, positionTree(text), path);
}

describe('field locations', () => {
  it('maps a field path to the line of its key and the end of its value', () => {
    expect(resolve(DEPLOYMENT, 'spec.template.spec.containers[1].securityContext.privileged')).toEqual({ line: 17, endLine: 17 });
    expect(resolve(DEPLOYMENT, 'spec.template.spec.containers[1].image')).toEqual({ line: 15, endLine: 15 });
    expect(resolve(DEPLOYMENT, 'spec.template.spec.containers[1].securityContext')).toEqual({ line: 16, endLine: 18 });
    expect(resolve(DEPLOYMENT, 'spec.template.spec.containers[1].ports[0].hostPort')).toEqual({ line: 23, endLine: 23 });
    expect(resolve(DEPLOYMENT, 'spec.template.spec.containers[0]')).toEqual({ line: 12, endLine: 13 });
    expect(resolve(DEPLOYMENT, 'spec.template.metadata.labels.app')).toEqual({ line: 9, endLine: 9 });
  });

  it('falls back to the deepest ancestor that exists for a missing field', () => {
    expect(resolve(DEPLOYMENT, 'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem')).toEqual({ line: 12, endLine: 13 });
    expect(resolve(DEPLOYMENT, 'spec.template.spec.containers[5]')?.line).toBe(11);
  });

  it('adds the document offset and a List item prefix', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  spec:\n    hostPID: true\n- kind: Pod\n  spec:\n    hostIPC: true\n`;
    expect(resolve(list, 'spec.hostIPC', { firstLine: 10, prefix: ['items', 1] })).toEqual({ line: 19, endLine: 19 });
  });

  it('reads JSON and flow style', () => {
    const json = '{\n  "kind": "Pod",\n  "spec": {\n    "containers": [\n      {"name": "a", "image": "x"}\n    ],\n    "hostNetwork": true\n  }\n}';
    expect(resolve(json, 'spec.hostNetwork')).toEqual({ line: 7, endLine: 7 });
    expect(resolve(json, 'spec.containers[0].image')).toEqual({ line: 5, endLine: 5 });
  });

  it('keeps keys that are not identifiers, and ignores merge keys', () => {
    const text = 'metadata:\n  annotations:\n    "container.apparmor.security.beta.kubernetes.io/web": unconfined\nbase: &b {x: 1}\nuse:\n  <<: *b\n  zz: 2\n';
    expect(resolve(text, 'metadata.annotations["container.apparmor.security.beta.kubernetes.io/web"]')).toEqual({ line: 3, endLine: 3 });
    expect(resolve(text, 'use.zz')).toEqual({ line: 7, endLine: 7 });
    expect(resolve(text, 'use.x')).toEqual({ line: 5, endLine: 7 });
  });

  it('gives nothing for a malformed path or a document that does not parse', () => {
    expect(resolve(DEPLOYMENT, 'spec..template')).toBeUndefined();
    expect(resolve('a: [', 'a')).toBeUndefined();
  });
});

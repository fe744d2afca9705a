import { readFileSync } from 'node:fs';
import { parseManifestText, type LoadedManifests } from '../k8s/load';
import { evaluateManifests } from '../k8s/evaluate';
import { toSarif } from '../report/sarif';
import { checkMatches } from '../report/references';
import type { BenchmarkCheckResult } from '../report/model';
import { checkWorkloads, parseImage, WORKLOAD_CHECKS, type WorkloadCheckId } from './workload';

function load(text: string): LoadedManifests {
  const loaded: LoadedManifests = { objects: [], errors: [], files: ['m.yaml'] };
  parseManifestText(text, 'm.yaml', loaded);
  expect(loaded.errors).toEqual([]);
  return loaded;
}

function run(text: string): BenchmarkCheckResult[] {
  return checkWorkloads(load(text).objects);
}

function failing(results: BenchmarkCheckResult[], check?: WorkloadCheckId): BenchmarkCheckResult[] {
  return results.filter((r) => r.status !== 'PASS' && (check === undefined || r.checkId === check));
}

/**
 * A hardened Deployment that sets its user, groups and seccomp profile once, at pod level, as
 * the Kubernetes docs recommend. Trivy's `config` (the embedded checks of trivy-peer.sh, run on
 * this exact manifest) reports on it:
 *   KSV020 LOW  Runs with UID <= 10000   "Container 'web' … should set 'securityContext.runAsUser' > 10000"
 *   KSV021 LOW  Runs with GID <= 10000   "Container 'web' … should set 'securityContext.runAsGroup' > 10000"
 *   KSV104 MEDIUM Seccomp policies disabled
 *   KSV116 LOW  Runs with a root primary or supplementary GID
 * All four are wrong: a PodSecurityContext's runAsUser/runAsGroup/seccompProfile apply to every
 * container that does not override them (core/v1 PodSecurityContext), and no group here is 0.
 */
const HARDENED = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: hardened
  namespace: shop
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 20001
        runAsGroup: 20001
        fsGroup: 20001
        supplementalGroups: [20001]
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: web
        image: registry.example.com/shop/web:1.4.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
        imagePullPolicy: Always
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
        livenessProbe: {httpGet: {path: /healthz, port: 8080}}
        readinessProbe: {httpGet: {path: /ready, port: 8080}}
        volumeMounts: [{name: tmp, mountPath: /tmp}, {name: creds, mountPath: /etc/creds, readOnly: true}]
      volumes:
      - {name: tmp, emptyDir: {}}
      - {name: creds, secret: {secretName: web-creds}}
`;

/** The same pod under each kind, with its pod template where that kind keeps it. */
function asKind(kind: string, podSpec: string): string {
  const indent = (text: string, n: number) => text.replace(/^/gm, ' '.repeat(n));
  const template = `template:\n  metadata: {labels: {app: x}}\n  spec:\n${indent(podSpec, 4)}`;
  switch (kind) {
    case 'Pod':
      return `apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: apps}\nspec:\n${indent(podSpec, 2)}`;
    case 'CronJob':
      return `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: x, namespace: apps}\nspec:\n  schedule: "* * * * *"\n  jobTemplate:\n    spec:\n${indent(template, 6)}`;
    default:
      return `apiVersion: apps/v1\nkind: ${kind}\nmetadata: {name: x, namespace: apps}\nspec:\n${indent(template, 2)}`;
  }
}

const BARE_CONTAINER = `containers:\n- name: app\n  image: nginx\n`;

describe('workload checks', () => {
  it('passes the hardened pod that sets user, groups and seccomp at pod level (where Trivy fires KSV020/021/104/116)', () => {
    const loaded = load(HARDENED);
    expect(failing(checkWorkloads(loaded.objects))).toEqual([]);
    // PSS restricted agrees: the pod-level seccomp profile and runAsNonRoot count for the container.
    const all = evaluateManifests(loaded, { checks: ['pss', 'workload'], pss: { level: 'restricted' } });
    expect(all.report.results.filter((r) => r.status === 'FAIL' || r.status === 'WARN')).toEqual([]);
  });

  it.each(['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'ReplicationController', 'Job', 'CronJob'])('checks the pod template of a %s', (kind) => {
    const results = run(asKind(kind, BARE_CONTAINER));
    const failed = new Set(failing(results).map((r) => r.checkId));
    for (const check of ['readonly-root-filesystem', 'cpu-requests', 'memory-requests', 'cpu-limits', 'memory-limits', 'image-tag', 'image-digest', 'run-as-high-uid', 'run-as-high-gid'] as const) {
      expect(failed).toContain(check);
    }
    // A Job runs to completion: probes are not asked of it.
    expect(failed.has('liveness-probe')).toBe(kind !== 'Job' && kind !== 'CronJob');
    const prefix = kind === 'Pod' ? 'spec' : kind === 'CronJob' ? 'spec.jobTemplate.spec.template.spec' : 'spec.template.spec';
    expect(failing(results, 'readonly-root-filesystem')[0]?.path).toBe(`${prefix}.containers[0].securityContext.readOnlyRootFilesystem`);
  });

  it('reports each violation once per container, naming the container field', () => {
    const results = run(
      asKind(
        'Deployment',
        `containers:\n- name: a\n  image: a:1\n  securityContext: {readOnlyRootFilesystem: true}\n- name: b\n  image: b:1\n  securityContext: {readOnlyRootFilesystem: false}\ninitContainers:\n- name: init\n  image: i:1\n`,
      ),
    );
    expect(failing(results, 'readonly-root-filesystem').map((r) => r.path)).toEqual([
      'spec.template.spec.initContainers[0].securityContext.readOnlyRootFilesystem',
      'spec.template.spec.containers[1].securityContext.readOnlyRootFilesystem',
    ]);
  });

  describe('user and group ids: the container overrides the pod', () => {
    const pod = (podSc: string, containerSc: string) => asKind('Pod', `securityContext: ${podSc}\ncontainers:\n- name: app\n  image: a:1\n  securityContext: ${containerSc}\n`);

    it('takes pod-level values for every container', () => {
      expect(failing(run(pod('{runAsUser: 10001, runAsGroup: 10001}', '{}')), 'run-as-high-uid')).toEqual([]);
      expect(failing(run(pod('{runAsUser: 10001, runAsGroup: 10001}', '{}')), 'run-as-high-gid')).toEqual([]);
    });

    it('lets a container lower the pod value, and names the container field', () => {
      const [uid] = failing(run(pod('{runAsUser: 10001, runAsGroup: 10001}', '{runAsUser: 1000}')), 'run-as-high-uid');
      expect(uid?.message).toBe('container app runs as UID 1000 (<= 10000)');
      expect(uid?.path).toBe('spec.containers[0].securityContext.runAsUser');
    });

    it('names the pod field when the pod value is at fault', () => {
      const [gid] = failing(run(pod('{runAsGroup: 10000}', '{runAsUser: 20000}')), 'run-as-high-gid');
      expect(gid?.path).toBe('spec.securityContext.runAsGroup');
      expect(gid?.message).toBe('container app runs as GID 10000 (<= 10000)');
    });

    it('lets a container raise the pod value', () => {
      expect(failing(run(pod('{runAsUser: 0}', '{runAsUser: 10001, runAsGroup: 10001}')), 'run-as-high-uid')).toEqual([]);
    });

    it('reports root groups: runAsGroup, fsGroup and supplementalGroups 0', () => {
      const paths = failing(run(pod('{runAsGroup: 0, fsGroup: 0, supplementalGroups: [5, 0]}', '{}')), 'root-group').map((r) => r.path);
      expect(paths).toEqual(['spec.securityContext.fsGroup', 'spec.securityContext.supplementalGroups[1]', 'spec.securityContext.runAsGroup']);
      expect(failing(run(pod('{runAsGroup: 20000, fsGroup: 20000, supplementalGroups: [20000]}', '{}')), 'root-group')).toEqual([]);
      // Unset is not root: the group is the image's, which run-as-high-gid already reports.
      expect(failing(run(pod('{}', '{}')), 'root-group')).toEqual([]);
    });

    it('a container runAsGroup 0 overrides a safe pod group', () => {
      expect(failing(run(pod('{runAsGroup: 20000}', '{runAsGroup: 0}')), 'root-group').map((r) => r.path)).toEqual(['spec.containers[0].securityContext.runAsGroup']);
    });
  });

  describe('images', () => {
    it('parses tags and digests, registry ports included', () => {
      expect(parseImage('nginx')).toEqual({});
      expect(parseImage('localhost:5000/app')).toEqual({});
      expect(parseImage('localhost:5000/app:1.2')).toEqual({ tag: '1.2' });
      expect(parseImage('app@sha256:abc')).toEqual({ digest: 'sha256:abc' });
      expect(parseImage('app:1@sha256:abc')).toEqual({ tag: '1', digest: 'sha256:abc' });
    });

    const image = (image: string, policy?: string) => run(asKind('Pod', `containers:\n- name: app\n  image: ${image}\n${policy ? `  imagePullPolicy: ${policy}\n` : ''}`));

    it('flags no tag and :latest, not a version tag or a digest', () => {
      expect(failing(image('nginx'), 'image-tag')[0]?.message).toBe('container app image nginx has no tag (pulls latest)');
      expect(failing(image('localhost:5000/nginx'), 'image-tag')).toHaveLength(1);
      expect(failing(image('nginx:latest'), 'image-tag')[0]?.path).toBe('spec.containers[0].image');
      expect(failing(image('nginx:1.27'), 'image-tag')).toEqual([]);
      expect(failing(image('nginx@sha256:0123'), 'image-tag')).toEqual([]);
    });

    it('warns (lower severity) when a tag is not pinned by digest', () => {
      const [digest] = failing(image('nginx:1.27'), 'image-digest');
      expect(digest).toMatchObject({ status: 'WARN', severity: 'LOW' });
      expect(failing(image('nginx:1.27@sha256:0123'), 'image-digest')).toEqual([]);
    });

    it('asks for imagePullPolicy Always on mutable tags only, with the API server default', () => {
      expect(failing(image('nginx:1.27'), 'image-pull-policy')[0]?.message).toContain('imagePullPolicy IfNotPresent (defaulted)');
      expect(failing(image('nginx:1.27', 'IfNotPresent'), 'image-pull-policy')[0]?.path).toBe('spec.containers[0].imagePullPolicy');
      expect(failing(image('nginx:1.27', 'Always'), 'image-pull-policy')).toEqual([]);
      expect(failing(image('nginx'), 'image-pull-policy')).toEqual([]); // defaulted to Always
      expect(failing(image('nginx:1.27@sha256:0123', 'IfNotPresent'), 'image-pull-policy')).toEqual([]);
    });
  });

  it('reports Secrets read into environment variables, not Secrets mounted as files', () => {
    const results = run(
      asKind(
        'Deployment',
        `containers:\n- name: app\n  image: a:1\n  env:\n  - {name: A, value: x}\n  - name: DB_PASSWORD\n    valueFrom: {secretKeyRef: {name: db, key: password}}\n  - name: CM\n    valueFrom: {configMapKeyRef: {name: c, key: k}}\n  envFrom:\n  - configMapRef: {name: c}\n  - secretRef: {name: api}\n  volumeMounts: [{name: s, mountPath: /s}]\nvolumes:\n- {name: s, secret: {secretName: files}}\n`,
      ),
    );
    expect(failing(results, 'secrets-as-env').map((r) => [r.path, r.message])).toEqual([
      ['spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef', 'container app reads key password of Secret db into environment variable DB_PASSWORD'],
      ['spec.template.spec.containers[0].envFrom[1].secretRef', 'container app loads every key of Secret api as environment variables'],
    ]);
  });

  it('reports shareProcessNamespace: true only', () => {
    expect(failing(run(asKind('Pod', `shareProcessNamespace: true\n${BARE_CONTAINER}`)), 'share-process-namespace')[0]?.path).toBe('spec.shareProcessNamespace');
    expect(failing(run(asKind('Pod', `shareProcessNamespace: false\n${BARE_CONTAINER}`)), 'share-process-namespace')).toEqual([]);
  });

  it('reports workloads in default (also when no namespace is set) and kube-system, not elsewhere', () => {
    const at = (ns?: string) =>
      failing(run(`apiVersion: v1\nkind: Pod\nmetadata: {name: p${ns ? `, namespace: ${ns}` : ''}}\nspec:\n  containers: [{name: a, image: a:1}]\n`)).map((r) => r.checkId).filter((c) => c.endsWith('namespace'));
    expect(at()).toEqual(['default-namespace']);
    expect(at('default')).toEqual(['default-namespace']);
    expect(at('kube-system')).toEqual(['kube-system-namespace']);
    expect(at('shop')).toEqual([]);
  });

  it('reports probes on long-running containers and restartable sidecars, not on init containers', () => {
    const results = run(
      asKind(
        'Deployment',
        `initContainers:\n- {name: migrate, image: m:1}\n- {name: proxy, image: p:1, restartPolicy: Always}\ncontainers:\n- name: app\n  image: a:1\n  livenessProbe: {tcpSocket: {port: 80}}\n`,
      ),
    );
    expect(failing(results, 'liveness-probe').map((r) => r.path)).toEqual(['spec.template.spec.initContainers[1].livenessProbe']);
    expect(failing(results, 'readiness-probe').map((r) => r.path)).toEqual(['spec.template.spec.initContainers[1].readinessProbe', 'spec.template.spec.containers[0].readinessProbe']);
  });

  it('reports Service externalIPs and NodePort, not a ClusterIP Service', () => {
    const svc = (spec: string) => run(`apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec: ${spec}\n`);
    const bad = failing(svc('{type: NodePort, externalIPs: [203.0.113.7], ports: [{port: 80}]}'));
    expect(bad.map((r) => [r.checkId, r.status, r.severity, r.path])).toEqual([
      ['service-external-ips', 'FAIL', 'HIGH', 'spec.externalIPs'],
      ['service-nodeport', 'WARN', 'LOW', 'spec.type'],
    ]);
    const good = svc('{type: ClusterIP, ports: [{port: 80}]}');
    expect(failing(good)).toEqual([]);
    expect(good.map((r) => r.checkId)).toEqual(['service-external-ips', 'service-nodeport']);
  });

  it('does not crash on hostile shapes (wrong types, missing template, null containers)', () => {
    const weird = `apiVersion: v1\nkind: Pod\nmetadata: {name: w, namespace: x}\nspec:\n  securityContext: [1]\n  containers: [null, 5, {name: c, image: 7, resources: "lots", env: {a: 1}, envFrom: [null], securityContext: {runAsUser: "0"}}]\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {}\n`;
    const results = run(weird);
    expect(results.every((r) => r.target === 'Pod/x/w')).toBe(true);
    expect(failing(results, 'run-as-high-uid')[0]?.message).toBe("container c sets no runAsUser (nor does the pod): the image's user runs");
  });

  it('names every check with a severity, and cross-references those that have equivalents', () => {
    const loaded = load(`${asKind('Deployment', BARE_CONTAINER)}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec: {}\n`);
    const report = evaluateManifests(loaded, { checks: ['workload'] }).report;
    const ro: BenchmarkCheckResult = report.results.find((r) => r.checkId === 'readonly-root-filesystem') ?? { checkId: 'missing', title: '', status: 'SKIP', severity: 'INFO', target: '', message: '' };
    expect(ro.references).toMatchObject({ trivy: ['KSV014'], avd: ['AVD-KSV-0014'], polaris: ['notReadOnlyRootFilesystem'], cisKubernetes: ['CIS-K8S-5.7.3'] });
    for (const id of ['readonly-root-filesystem', 'KSV014', 'avd-ksv-0014', 'notReadOnlyRootFilesystem', 'container-security-context-readonlyrootfilesystem']) {
      expect(checkMatches(ro, id)).toBe(true);
    }
    expect(checkMatches(ro, 'KSV015')).toBe(false);
    expect(Object.keys(WORKLOAD_CHECKS).sort()).toEqual([...new Set(report.results.map((r) => r.checkId))].sort());

    const sarif = toSarif(report);
    const run0 = sarif.runs[0];
    const rule = run0?.tool.driver.rules?.find((r) => r.id === 'readonly-root-filesystem');
    const trivy = rule?.relationships?.find((rel) => rel.target.toolComponent?.name === 'Trivy');
    expect(trivy?.target.id).toBe('KSV014');
    // The relationship points at a taxon that exists in the run's taxonomies.
    const taxonomy = run0?.taxonomies?.[trivy?.target.toolComponent?.index ?? -1];
    expect(taxonomy?.name).toBe('Trivy');
    expect(taxonomy?.taxa?.[trivy?.target.index ?? -1]?.id).toBe('KSV014');
    expect(rule?.properties?.['references']).toEqual(ro.references);
  });

  it('keeps its README table in step with the checks', () => {
    const readme = readFileSync(`${__dirname}/../../README.md`, 'utf8');
    for (const [id, check] of Object.entries(WORKLOAD_CHECKS)) expect(readme).toContain(`| \`${id}\` | ${check.title} | ${check.severity} |`);
  });
});

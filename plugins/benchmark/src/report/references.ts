/**
 * Cross-references: what other tools and standards call each check, so a team moving from Trivy,
 * kube-score or Polaris can map its findings and its ignore lists onto Bulkhead's. Only
 * equivalents are listed (the same problem on the same object); a related but different rule is
 * left out rather than guessed.
 *
 * Sources: Trivy's checks (aquasecurity/trivy-checks, `checks/kubernetes`, `checks/docker`: the
 * `id` and `avd_id` of each rule), kube-score's check ids (`kube-score list`), Polaris' check ids
 * (`checks/*.yaml`), the CIS Kubernetes Benchmark v1.9 section 5 and the CIS Docker Benchmark
 * v1.6 section 4 control numbers, and the Pod Security Standards control names.
 */
export interface CheckReferences {
  /** Trivy check ids: `KSV014`, `DS004`. */
  trivy?: readonly string[];
  /** Aqua Vulnerability Database ids of the same Trivy checks: `AVD-KSV-0014`. */
  avd?: readonly string[];
  /** kube-score check ids: `container-security-context-readonlyrootfilesystem`. */
  kubeScore?: readonly string[];
  /** Polaris check ids: `notReadOnlyRootFilesystem`. */
  polaris?: readonly string[];
  /** hadolint rule ids: `DL3023`. */
  hadolint?: readonly string[];
  /** Dockle checkpoint codes: `CIS-DI-0009`. */
  dockle?: readonly string[];
  /** CIS Kubernetes Benchmark controls: `CIS-K8S-5.7.3`. */
  cisKubernetes?: readonly string[];
  /** CIS Docker Benchmark controls: `CIS-DOCKER-4.1`. */
  cisDocker?: readonly string[];
  /** Pod Security Standards controls: `PSS-restricted:Running as Non-root`. */
  pss?: readonly string[];
}

export type ReferenceSource = keyof CheckReferences;

/** Human names of the sources, as SARIF `toolComponent`s and the README table use them. */
export const REFERENCE_SOURCES: Readonly<Record<ReferenceSource, { name: string; informationUri: string }>> = {
  trivy: { name: 'Trivy', informationUri: 'https://github.com/aquasecurity/trivy-checks' },
  avd: { name: 'AVD', informationUri: 'https://avd.aquasec.com/misconfig/' },
  kubeScore: { name: 'kube-score', informationUri: 'https://github.com/zegl/kube-score' },
  polaris: { name: 'Polaris', informationUri: 'https://polaris.docs.fairwinds.com/checks/' },
  hadolint: { name: 'hadolint', informationUri: 'https://github.com/hadolint/hadolint#rules' },
  dockle: { name: 'Dockle', informationUri: 'https://github.com/goodwithtech/dockle#checkpoint-summary' },
  cisKubernetes: { name: 'CIS Kubernetes Benchmark', informationUri: 'https://www.cisecurity.org/benchmark/kubernetes' },
  cisDocker: { name: 'CIS Docker Benchmark', informationUri: 'https://www.cisecurity.org/benchmark/docker' },
  pss: { name: 'Pod Security Standards', informationUri: 'https://kubernetes.io/docs/concepts/security/pod-security-standards/' },
};

/** `KSV014` → its AVD id `AVD-KSV-0014`; `DS004` → `AVD-DS-0004`. */
export function avdId(trivyId: string): string {
  const m = /^([A-Z]+)(\d+)$/.exec(trivyId);
  const [, prefix, number] = m ?? [];
  return prefix && number ? `AVD-${prefix}-${number.padStart(4, '0')}` : trivyId;
}

/** Builds references; AVD ids are derived from the Trivy ids unless given. */
function refs(r: Omit<CheckReferences, 'avd'> & { avd?: readonly string[] }): CheckReferences {
  return { ...r, ...(r.trivy && !r.avd ? { avd: r.trivy.map(avdId) } : {}) };
}

const cisK8s = (...ids: string[]): string[] => ids.map((id) => `CIS-K8S-${id}`);
const cisDocker = (...ids: string[]): string[] => ids.map((id) => `CIS-DOCKER-${id}`);
const pss = (level: 'baseline' | 'restricted', control: string): string[] => [`PSS-${level}:${control}`];

/**
 * Check id → its equivalents. Keys are Bulkhead check ids as results carry them in `checkId`
 * (PSS check ids, CIS 5.1.x numbers of the RBAC checks, kebab-case workload checks, Dockerfile
 * rule ids).
 */
export const CHECK_REFERENCES: Readonly<Record<string, CheckReferences>> = {
  // Pod Security Standards (../pss): Trivy re-implements each control as a KSV rule.
  privileged: refs({ trivy: ['KSV017'], kubeScore: ['container-security-context-privileged'], polaris: ['runAsPrivileged'], cisKubernetes: cisK8s('5.2.2'), pss: pss('baseline', 'Privileged Containers') }),
  hostNamespaces: refs({ trivy: ['KSV008', 'KSV009', 'KSV010'], polaris: ['hostIPCSet', 'hostPIDSet', 'hostNetworkSet'], cisKubernetes: cisK8s('5.2.3', '5.2.4', '5.2.5'), pss: pss('baseline', 'Host Namespaces') }),
  hostPathVolumes: refs({ trivy: ['KSV023'], cisKubernetes: cisK8s('5.2.12'), pss: pss('baseline', 'HostPath Volumes') }),
  hostPorts: refs({ trivy: ['KSV024'], polaris: ['hostPortSet'], cisKubernetes: cisK8s('5.2.13'), pss: pss('baseline', 'Host Ports') }),
  capabilities_baseline: refs({ trivy: ['KSV022'], polaris: ['dangerousCapabilities'], cisKubernetes: cisK8s('5.2.9'), pss: pss('baseline', 'Capabilities') }),
  capabilities_restricted: refs({ trivy: ['KSV003', 'KSV106'], polaris: ['insecureCapabilities'], cisKubernetes: cisK8s('5.2.8', '5.2.10'), pss: pss('restricted', 'Capabilities') }),
  allowPrivilegeEscalation: refs({ trivy: ['KSV001'], polaris: ['privilegeEscalationAllowed'], cisKubernetes: cisK8s('5.2.6'), pss: pss('restricted', 'Privilege Escalation') }),
  runAsNonRoot: refs({ trivy: ['KSV012'], polaris: ['runAsRootAllowed'], cisKubernetes: cisK8s('5.2.7'), pss: pss('restricted', 'Running as Non-root') }),
  runAsUser: refs({ trivy: ['KSV105'], cisKubernetes: cisK8s('5.2.7'), pss: pss('restricted', 'Running as Non-root user') }),
  seccompProfile_baseline: refs({ trivy: ['KSV104'], cisKubernetes: cisK8s('5.7.2'), pss: pss('baseline', 'Seccomp') }),
  seccompProfile_restricted: refs({ trivy: ['KSV030'], cisKubernetes: cisK8s('5.7.2'), pss: pss('restricted', 'Seccomp') }),
  appArmorProfile: refs({ trivy: ['KSV002'], pss: pss('baseline', 'AppArmor') }),
  seLinuxOptions: refs({ trivy: ['KSV025'], pss: pss('baseline', 'SELinux') }),
  procMount: refs({ trivy: ['KSV027'], pss: pss('baseline', '/proc Mount Type') }),
  procMount_restricted: refs({ trivy: ['KSV027'], pss: pss('restricted', '/proc Mount Type') }),
  sysctls: refs({ trivy: ['KSV026'], pss: pss('baseline', 'Sysctls') }),
  restrictedVolumes: refs({ trivy: ['KSV028'], pss: pss('restricted', 'Volume Types') }),
  windowsHostProcess: refs({ trivy: ['KSV103'], cisKubernetes: cisK8s('5.2.11'), pss: pss('baseline', 'HostProcess') }),
  hostProbesAndHostLifecycle: refs({ pss: pss('baseline', 'Host Probes / Lifecycle Hooks') }),

  // RBAC (../rbac): CIS 5.1.x and the additions of issue 14.
  '5.1.1': refs({ trivy: ['KSV111'], cisKubernetes: cisK8s('5.1.1') }),
  '5.1.2': refs({ cisKubernetes: cisK8s('5.1.2') }),
  '5.1.3': refs({ trivy: ['KSV044', 'KSV045', 'KSV046'], cisKubernetes: cisK8s('5.1.3') }),
  '5.1.4': refs({ cisKubernetes: cisK8s('5.1.4') }),
  '5.1.5': refs({ cisKubernetes: cisK8s('5.1.5') }),
  '5.1.6': refs({ trivy: ['KSV036'], polaris: ['automountServiceAccountToken'], cisKubernetes: cisK8s('5.1.6') }),
  '5.1.7': refs({ cisKubernetes: cisK8s('5.1.7') }),
  '5.1.8': refs({ trivy: ['KSV043', 'KSV050'], cisKubernetes: cisK8s('5.1.8') }),
  'pods-exec-attach': refs({ trivy: ['KSV053'] }),
  'secrets-write': refs({ trivy: ['KSV041'], cisKubernetes: cisK8s('5.1.2') }),
  'workloads-write': refs({ trivy: ['KSV048'] }),
  'nodes-proxy': refs({ trivy: ['KSV047'], cisKubernetes: cisK8s('5.1.10') }),
  'kube-system-configmaps-write': refs({ trivy: ['KSV049'] }),
  'anonymous-binding': refs({ trivy: ['KSV122'] }),

  // NetworkPolicy (../netpol): kube-score's grading.
  'pod-networkpolicy': refs({ kubeScore: ['pod-networkpolicy'], cisKubernetes: cisK8s('5.3.2') }),
  'networkpolicy-targets-pod': refs({ kubeScore: ['networkpolicy-targets-pod'] }),

  // Workload checks beyond Pod Security (../workload).
  'readonly-root-filesystem': refs({ trivy: ['KSV014'], kubeScore: ['container-security-context-readonlyrootfilesystem'], polaris: ['notReadOnlyRootFilesystem'], cisKubernetes: cisK8s('5.7.3') }),
  'cpu-requests': refs({ trivy: ['KSV015'], kubeScore: ['container-resources'], polaris: ['cpuRequestsMissing'] }),
  'cpu-limits': refs({ trivy: ['KSV011'], kubeScore: ['container-resources'], polaris: ['cpuLimitsMissing'] }),
  'memory-requests': refs({ trivy: ['KSV016'], kubeScore: ['container-resources'], polaris: ['memoryRequestsMissing'] }),
  'memory-limits': refs({ trivy: ['KSV018'], kubeScore: ['container-resources'], polaris: ['memoryLimitsMissing'] }),
  'image-tag': refs({ trivy: ['KSV013'], kubeScore: ['container-image-tag'], polaris: ['tagNotSpecified'] }),
  'image-digest': refs({}),
  'image-pull-policy': refs({ kubeScore: ['container-image-pull-policy'], polaris: ['pullPolicyNotAlways'] }),
  'run-as-high-uid': refs({ trivy: ['KSV020'], kubeScore: ['container-security-context-user-group-id'] }),
  'run-as-high-gid': refs({ trivy: ['KSV021'], kubeScore: ['container-security-context-user-group-id'] }),
  'root-group': refs({ trivy: ['KSV116'] }),
  'liveness-probe': refs({ kubeScore: ['pod-probes'], polaris: ['livenessProbeMissing'] }),
  'readiness-probe': refs({ kubeScore: ['pod-probes'], polaris: ['readinessProbeMissing'] }),
  'default-namespace': refs({ trivy: ['KSV110'], cisKubernetes: cisK8s('5.7.4') }),
  'kube-system-namespace': refs({ trivy: ['KSV037'] }),
  // Trivy reports this rule by its AVD id alone.
  'service-external-ips': refs({ trivy: ['AVD-KSV-0108'], avd: ['AVD-KSV-0108'] }),
  'service-nodeport': refs({ kubeScore: ['service-type'] }),
  'secrets-as-env': refs({ cisKubernetes: cisK8s('5.4.1') }),
  'share-process-namespace': refs({}),

  // Dockerfile: Trivy's DS checks hadolint's wired set did not have (../docker/dockerfile.ts).
  DS004: refs({ trivy: ['DS004'] }),
  DS017: refs({ trivy: ['DS017'], cisDocker: cisDocker('4.7') }),
  DS024: refs({ trivy: ['DS024'], hadolint: ['DL3005'] }),
  // hadolint's DL rules (../docker/hadolint) that other tools also check.
  DL3002: refs({ trivy: ['DS002'], hadolint: ['DL3002'], dockle: ['CIS-DI-0001'], cisDocker: cisDocker('4.1') }),
  // hadolint rules that are also Trivy DS checks: one finding, under hadolint's id.
  DL3023: refs({ trivy: ['DS006'], hadolint: ['DL3023'] }),
  DL4004: refs({ trivy: ['DS007'], hadolint: ['DL4004'] }),
  DL3011: refs({ trivy: ['DS008'], hadolint: ['DL3011'] }),
  DL3024: refs({ trivy: ['DS012'], hadolint: ['DL3024'] }),
  DL4003: refs({ trivy: ['DS016'], hadolint: ['DL4003'] }),
  DL3012: refs({ trivy: ['DS023'], hadolint: ['DL3012'] }),
  DL3006: refs({ hadolint: ['DL3006'] }),
  DL3007: refs({ trivy: ['DS001'], hadolint: ['DL3007'] }),
  DL3000: refs({ trivy: ['DS009'], hadolint: ['DL3000'] }),
  DL3003: refs({ trivy: ['DS013'], hadolint: ['DL3003'] }),
  DL3004: refs({ trivy: ['DS010'], hadolint: ['DL3004'] }),
  DL3015: refs({ hadolint: ['DL3015'] }),
  DL3019: refs({ trivy: ['DS025'], hadolint: ['DL3019'] }),
  DL3020: refs({ trivy: ['DS005'], hadolint: ['DL3020'], dockle: ['CIS-DI-0009'], cisDocker: cisDocker('4.9') }),
  DL4000: refs({ trivy: ['DS022'], hadolint: ['DL4000'] }),
  DL4006: refs({ hadolint: ['DL4006'] }),
  'CIS-DI-0001': refs({ trivy: ['DS002'], cisDocker: cisDocker('4.1') }),
  'CIS-DI-0006': refs({ trivy: ['DS026'], cisDocker: cisDocker('4.6') }),
  'CIS-DI-0007': refs({ trivy: ['DS017'], cisDocker: cisDocker('4.7') }),
  'CIS-DI-0009': refs({ trivy: ['DS005'], cisDocker: cisDocker('4.9') }),
  'CIS-DI-0010': refs({ trivy: ['DS031'], cisDocker: cisDocker('4.10') }),
};

/**
 * Benchmarks whose check ids the table above describes. kube-bench runs are left out: their
 * control numbers belong to the benchmark file run (`5.1.1` of an EKS benchmark is another control).
 */
const REFERENCED_BENCHMARKS = /^(pss-|k8s-|hadolint$|dockerfile$|cis-docker-image$)/;

/**
 * The references of a check id (of `benchmark`, when given), or undefined when no other tool or
 * standard has an equivalent.
 */
export function referencesOf(checkId: string, benchmark?: string): CheckReferences | undefined {
  if (benchmark !== undefined && !REFERENCED_BENCHMARKS.test(benchmark)) return undefined;
  const r = Object.prototype.hasOwnProperty.call(CHECK_REFERENCES, checkId) ? CHECK_REFERENCES[checkId] : undefined;
  return r && Object.keys(r).length > 0 ? r : undefined;
}

/** Every id a check answers to: its own and all its equivalents. */
export function idsOf(checkId: string, references?: CheckReferences): string[] {
  const ids = [checkId];
  for (const list of Object.values(references ?? referencesOf(checkId) ?? {}) as (readonly string[] | undefined)[]) ids.push(...(list ?? []));
  return ids;
}

/**
 * Whether an ignore entry names this check: its own id or any equivalent (`KSV014`,
 * `AVD-KSV-0014`, `notReadOnlyRootFilesystem`, `CIS-K8S-5.7.3`), compared case-insensitively.
 * This is the one matcher an ignore mechanism (issue 12's ignore files) should use so that a
 * Trivy `.trivyignore` line carries over unchanged.
 */
export function checkMatches(result: { checkId: string; references?: CheckReferences }, id: string): boolean {
  const wanted = id.trim().toLowerCase();
  return wanted !== '' && idsOf(result.checkId, result.references).some((i) => i.toLowerCase() === wanted);
}

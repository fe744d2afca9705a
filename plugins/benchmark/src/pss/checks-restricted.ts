// Restricted Pod Security Standards checks, ported from kubernetes/pod-security-admission
// policy/check_*.go. Reason and detail strings are upstream's, verbatim.
import { isFalse, isSet, obj, objs, str, strs, type KObject } from '../k8s/objects';
import { procMount1_0, validSeccompType } from './checks-baseline';
import { isWindowsPod, joinQuote, pluralize, securityContext, sortedSet, usesUserNamespace, visitContainers } from './helpers';
import { ALLOWED, forbidden, type CheckPodFn, type PodMetadata, type PodSpec, type PssCheck, type PssCheckResult } from './types';

const containerName = (c: KObject): string => str(c['name']);
const containersPhrase = (names: readonly string[]): string => `${pluralize('container', 'containers', names.length)} ${joinQuote(names)}`;

/** From 1.25 pods with `spec.os.name: windows` are exempt: the Linux-only fields cannot be set on them. */
function exemptWindows(check: CheckPodFn): CheckPodFn {
  return (m, spec) => (isWindowsPod(spec) ? ALLOWED : check(m, spec));
}

/** From 1.35 runAsNonRoot/runAsUser are skipped for pods in a user namespace (KEP-127). */
function relaxForUserNamespace(check: CheckPodFn): CheckPodFn {
  return (m, spec) => (usesUserNamespace(spec) ? ALLOWED : check(m, spec));
}

export function allowPrivilegeEscalation(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    const ape = securityContext(c)?.['allowPrivilegeEscalation'];
    if (!isFalse(ape)) bad.push(containerName(c));
  });
  if (bad.length === 0) return ALLOWED;
  return forbidden('allowPrivilegeEscalation != false', `${containersPhrase(bad)} must set securityContext.allowPrivilegeEscalation=false`);
}

const ALLOWED_VOLUME_SOURCES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'image', 'persistentVolumeClaim', 'projected', 'secret'];
/** Upstream's switch order decides which type a volume reports when several are set. */
const RESTRICTED_VOLUME_SOURCES = [
  'hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'nfs', 'iscsi', 'glusterfs', 'rbd', 'flexVolume',
  'cinder', 'cephfs', 'flocker', 'fc', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk',
  'portworxVolume', 'scaleIO', 'storageos',
];

export function restrictedVolumes(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const bad: string[] = [];
  const types = new Set<string>();
  for (const volume of objs(spec['volumes'])) {
    if (ALLOWED_VOLUME_SOURCES.some((k) => isSet(volume[k]))) continue;
    const restricted = RESTRICTED_VOLUME_SOURCES.find((k) => isSet(volume[k]));
    // The API server defaults a volume without any known source to `emptyDir: {}` before
    // admission sees it (SetDefaults_Volume), so such a volume is allowed, as upstream's fixtures say.
    if (!restricted && !Object.keys(volume).some((k) => k !== 'name' && isSet(volume[k]))) continue;
    bad.push(str(volume['name']));
    types.add(restricted ?? 'unknown');
  }
  if (bad.length === 0) return ALLOWED;
  const typeList = sortedSet(types);
  return forbidden(
    'restricted volume types',
    `${pluralize('volume', 'volumes', bad.length)} ${joinQuote(bad)} ${pluralize('uses', 'use', bad.length)} ${pluralize('restricted volume type', 'restricted volume types', typeList.length)} ${joinQuote(typeList)}`,
  );
}

export function runAsNonRoot(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const badSetters: string[] = [];
  let podRunAsNonRoot = false;
  const podValue = obj(spec['securityContext'])?.['runAsNonRoot'];
  if (typeof podValue === 'boolean') {
    if (!podValue) badSetters.push('pod');
    else podRunAsNonRoot = true;
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const value = securityContext(c)?.['runAsNonRoot'];
    if (typeof value === 'boolean') {
      if (!value) explicit.push(containerName(c));
    } else if (!podRunAsNonRoot) {
      implicit.push(containerName(c));
    }
  });
  if (explicit.length > 0) badSetters.push(containersPhrase(explicit));
  if (badSetters.length > 0) {
    return forbidden('runAsNonRoot != true', `${badSetters.join(' and ')} must not set securityContext.runAsNonRoot=false`);
  }
  if (implicit.length > 0) {
    return forbidden('runAsNonRoot != true', `pod or ${containersPhrase(implicit)} must set securityContext.runAsNonRoot=true`);
  }
  return ALLOWED;
}

export function runAsUser(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const badSetters: string[] = [];
  if (obj(spec['securityContext'])?.['runAsUser'] === 0) badSetters.push('pod');
  const bad: string[] = [];
  visitContainers(spec, (c) => {
    if (securityContext(c)?.['runAsUser'] === 0) bad.push(containerName(c));
  });
  if (bad.length > 0) badSetters.push(containersPhrase(bad));
  if (badSetters.length === 0) return ALLOWED;
  return forbidden('runAsUser=0', `${badSetters.join(' and ')} must not set runAsUser=0`);
}

export function seccompProfileRestricted(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const badSetters: string[] = [];
  const badValues: string[] = [];
  let podSeccompSet = false;
  const podProfile = obj(obj(spec['securityContext'])?.['seccompProfile']);
  if (podProfile) {
    if (!validSeccompType(podProfile['type'])) {
      badSetters.push('pod');
      badValues.push(str(podProfile['type']));
    } else {
      podSeccompSet = true;
    }
  }
  const explicit: string[] = [];
  const implicit: string[] = [];
  visitContainers(spec, (c) => {
    const profile = obj(securityContext(c)?.['seccompProfile']);
    if (profile) {
      if (!validSeccompType(profile['type'])) {
        explicit.push(containerName(c));
        badValues.push(str(profile['type']));
      }
    } else if (!podSeccompSet) {
      implicit.push(containerName(c));
    }
  });
  if (explicit.length > 0) badSetters.push(containersPhrase(explicit));
  if (badSetters.length > 0) {
    return forbidden(
      'seccompProfile',
      `${badSetters.join(' and ')} must not set securityContext.seccompProfile.type to ${joinQuote(sortedSet(badValues))}`,
    );
  }
  if (implicit.length > 0) {
    return forbidden(
      'seccompProfile',
      `pod or ${containersPhrase(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`,
    );
  }
  return ALLOWED;
}

export function capabilitiesRestricted(_m: PodMetadata, spec: PodSpec): PssCheckResult {
  const missingDropAll: string[] = [];
  const addingForbidden: string[] = [];
  const forbiddenCaps: string[] = [];
  visitContainers(spec, (c) => {
    const caps = obj(securityContext(c)?.['capabilities']);
    if (!caps) {
      missingDropAll.push(containerName(c));
      return;
    }
    if (!strs(caps['drop']).includes('ALL')) missingDropAll.push(containerName(c));
    const added = strs(caps['add']).filter((cap) => cap !== 'NET_BIND_SERVICE');
    if (added.length > 0) {
      addingForbidden.push(containerName(c));
      forbiddenCaps.push(...added);
    }
  });
  const details: string[] = [];
  if (missingDropAll.length > 0) details.push(`${containersPhrase(missingDropAll)} must set securityContext.capabilities.drop=["ALL"]`);
  if (addingForbidden.length > 0) {
    details.push(`${containersPhrase(addingForbidden)} must not include ${joinQuote(sortedSet(forbiddenCaps))} in securityContext.capabilities.add`);
  }
  if (details.length === 0) return ALLOWED;
  return forbidden('unrestricted capabilities', details.join('; '));
}

export const RESTRICTED_CHECKS: readonly PssCheck[] = [
  {
    id: 'allowPrivilegeEscalation',
    level: 'restricted',
    versions: [
      { minimumVersion: 8, checkPod: allowPrivilegeEscalation },
      { minimumVersion: 25, checkPod: exemptWindows(allowPrivilegeEscalation) },
    ],
  },
  {
    id: 'capabilities_restricted',
    level: 'restricted',
    versions: [
      { minimumVersion: 22, checkPod: capabilitiesRestricted, overrideCheckIds: ['capabilities_baseline'] },
      { minimumVersion: 25, checkPod: exemptWindows(capabilitiesRestricted), overrideCheckIds: ['capabilities_baseline'] },
    ],
  },
  { id: 'procMount_restricted', level: 'restricted', versions: [{ minimumVersion: 35, checkPod: procMount1_0, overrideCheckIds: ['procMount'] }] },
  { id: 'restrictedVolumes', level: 'restricted', versions: [{ minimumVersion: 0, checkPod: restrictedVolumes, overrideCheckIds: ['hostPathVolumes'] }] },
  {
    id: 'runAsNonRoot',
    level: 'restricted',
    versions: [
      { minimumVersion: 0, checkPod: runAsNonRoot },
      { minimumVersion: 35, checkPod: relaxForUserNamespace(runAsNonRoot) },
    ],
  },
  {
    id: 'runAsUser',
    level: 'restricted',
    versions: [
      { minimumVersion: 23, checkPod: runAsUser },
      { minimumVersion: 35, checkPod: relaxForUserNamespace(runAsUser) },
    ],
  },
  {
    id: 'seccompProfile_restricted',
    level: 'restricted',
    versions: [
      { minimumVersion: 19, checkPod: seccompProfileRestricted, overrideCheckIds: ['seccompProfile_baseline'] },
      { minimumVersion: 25, checkPod: exemptWindows(seccompProfileRestricted), overrideCheckIds: ['seccompProfile_baseline'] },
    ],
  },
];

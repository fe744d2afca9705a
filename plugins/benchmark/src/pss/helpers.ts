import { obj, objs, type KObject } from '../k8s/objects';
import type { PodSpec } from './types';

/** `"a", "b"` — upstream joinQuote. */
export function joinQuote(items: readonly string[]): string {
  if (items.length === 0) return '';
  return `"${items.join('", "')}"`;
}

export function pluralize(singular: string, plural: string, count: number): string {
  return count === 1 ? singular : plural;
}

/** Upstream's sets.String.List(): unique, sorted bytewise. */
export function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(byteOrder);
}

export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Init containers, containers, then ephemeral containers — upstream's visitContainers order. */
export function visitContainers(spec: PodSpec, visit: (container: KObject) => void): void {
  for (const c of objs(spec['initContainers'])) visit(c);
  for (const c of objs(spec['containers'])) visit(c);
  for (const c of objs(spec['ephemeralContainers'])) visit(c);
}

export function securityContext(o: KObject): KObject | undefined {
  return obj(o['securityContext']);
}

/** `spec.os.name == "windows"`: the 1.25+ restricted checks exempt Windows pods. */
export function isWindowsPod(spec: PodSpec): boolean {
  return obj(spec['os'])?.['name'] === 'windows';
}

/** `spec.hostUsers: false` (user namespaces): relaxes some checks from policy v1.35. */
export function usesUserNamespace(spec: PodSpec): boolean {
  return spec['hostUsers'] === false;
}

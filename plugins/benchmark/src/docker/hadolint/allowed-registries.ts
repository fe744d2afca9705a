import { baseImageOf } from './dockerfile-model';
import { plainStream, type HadolintRule } from './rule';

/**
 * DL3026: every FROM image comes from an allowed registry (hadolint's `trustedRegistries`).
 * With no allowed registries configured the rule reports nothing, as in hadolint.
 * A pattern is a registry host (`quay.io`), a wildcard suffix (`*.example.com`) or `*`.
 */
export function allowedRegistriesRule(allowed: readonly string[]): HadolintRule {
  const matches = (registry: string): boolean =>
    allowed.some((pattern) => pattern === '*' || pattern === registry || (pattern.startsWith('*.') && registry.endsWith(pattern.slice(1))));
  return {
    id: 'DL3026',
    level: 'error',
    message: 'Use only an allowed registry in the FROM image',
    check(instructions, report) {
      if (allowed.length === 0) return;
      const stages = new Set<string>();
      for (const inst of plainStream(instructions)) {
        if (inst.keyword !== 'FROM') continue;
        const { image, alias } = baseImageOf(inst);
        const registry = registryOf(image);
        const ok =
          stages.has(image) ||
          (registry === undefined ? image === 'scratch' || matches('docker.io') || matches('hub.docker.com') : matches(registry));
        if (alias) stages.add(alias);
        if (!ok) report(inst);
      }
    },
  };
}

/** The registry host of an image reference, when it names one (`quay.io/x`, `localhost:5000/x`). */
export function registryOf(image: string): string | undefined {
  const slash = image.indexOf('/');
  if (slash < 0) return undefined;
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : undefined;
}

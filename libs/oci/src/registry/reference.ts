import { BadInputError } from '@bulkhead/plugin-sdk';
import { parseDigest } from '../digest';

export interface RegistryRepository {
  /** host[:port]; Docker Hub's aliases are normalised to `docker.io`. */
  registry: string;
  repository: string;
}

export interface RegistryReference extends RegistryRepository {
  tag?: string;
  digest?: string;
  /** What was given, for messages. */
  reference: string;
}

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

// The grammar of distribution's reference package (reference/regexp.go).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const HOST_LABEL = /^(?:[A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$/;
const MAX_NAME_LENGTH = 255;

/**
 * True when `component` (the part of a reference before the first `/`) names a registry host
 * rather than a repository path: it has a dot or a port, is `localhost`, or is a bracketed IPv6
 * address — the rule docker and Trivy use.
 */
export function isRegistryHost(component: string): boolean {
  const { host, port } = splitHostPort(component);
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return false;
  if (host.startsWith('[')) return /^\[[0-9A-Fa-f:.]+\]$/.test(host);
  if (host === 'localhost') return true;
  if (!host.includes('.') && port === undefined) return false;
  return host.split('.').every((label) => HOST_LABEL.test(label));
}

function splitHostPort(component: string): { host: string; port?: string } {
  if (component.startsWith('[')) {
    const end = component.indexOf(']');
    if (end < 0) return { host: component };
    const rest = component.slice(end + 1);
    return rest.startsWith(':') ? { host: component.slice(0, end + 1), port: rest.slice(1) } : { host: component.slice(0, end + 1), ...(rest ? { port: rest } : {}) };
  }
  const colon = component.lastIndexOf(':');
  return colon < 0 ? { host: component } : { host: component.slice(0, colon), port: component.slice(colon + 1) };
}

/** True when `text` (without a `registry:` prefix) starts with an explicit registry host. */
export function hasRegistryHost(text: string): boolean {
  const slash = text.indexOf('/');
  return slash > 0 && isRegistryHost(text.slice(0, slash));
}

/**
 * Parses `[registry:]<host>[:port]/<repo>[:<tag>][@<digest>]`. Without a host (`alpine:3`,
 * `library/alpine`) the registry is Docker Hub and a single-component name gets `library/`.
 */
export function parseRegistryReference(ref: string): RegistryReference {
  const given = ref;
  const fail = (why: string): never => {
    throw new BadInputError(`registry reference ${JSON.stringify(given)}: ${why}`);
  };
  if (typeof ref !== 'string' || !ref) fail('is empty');
  if (ref.length > 1024) fail('is longer than 1024 characters');
  let text = ref.startsWith('registry:') ? ref.slice('registry:'.length) : ref;
  if (!text) fail('names no repository');
  if (/\s/.test(text)) fail('contains white space');

  let digest: string | undefined;
  const at = text.indexOf('@');
  if (at >= 0) {
    digest = text.slice(at + 1);
    text = text.slice(0, at);
    try {
      parseDigest(digest, 'digest');
    } catch {
      fail(`digest "${digest}" is not sha256:<64 hex> or sha512:<128 hex>`);
    }
  }

  let registry = DOCKER_HUB;
  const slash = text.indexOf('/');
  if (slash > 0 && isRegistryHost(text.slice(0, slash))) {
    registry = text.slice(0, slash);
    text = text.slice(slash + 1);
  }

  let tag: string | undefined;
  const lastSlash = text.lastIndexOf('/');
  const colon = text.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = text.slice(colon + 1);
    text = text.slice(0, colon);
    if (!TAG.test(tag)) fail(`tag "${tag}" is not valid (letters, digits, _ . -; at most 128; not starting with . or -)`);
  }

  const lowerHost = registry.toLowerCase();
  registry = DOCKER_HUB_ALIASES.has(lowerHost) ? DOCKER_HUB : lowerHost;
  let repository = text;
  if (!repository) fail('names no repository');
  for (const component of repository.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      fail(`repository component "${component}" is not valid (lower-case letters and digits, separated by . _ __ or -)`);
    }
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) repository = `library/${repository}`;
  if (registry.length + 1 + repository.length > MAX_NAME_LENGTH) fail(`name is longer than ${MAX_NAME_LENGTH} characters`);
  return { registry, repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}), reference: given };
}

/** `host[:port]/repo[:tag][@digest]` (no `registry:` prefix). */
export function formatRegistryReference(ref: RegistryReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest !== undefined ? `@${ref.digest}` : ''}`;
}

/** `host[:port]/repo`, for messages. */
export function formatRepository(repo: RegistryRepository): string {
  return `${repo.registry}/${repo.repository}`;
}

const PLATFORM_PART = /^[a-z0-9][a-z0-9._-]*$/;
const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', armhf: 'arm', armel: 'arm', i686: '386', i386: '386' };

/** Parses `os/arch[/variant]` (`linux/amd64`, `linux/arm64/v8`, `linux/arm/v7`). */
export function parsePlatform(text: string): Platform {
  const parts = typeof text === 'string' ? text.trim().toLowerCase().split('/') : [];
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !PLATFORM_PART.test(p) || p.length > 64)) {
    throw new BadInputError(`platform ${JSON.stringify(text)}: expected os/arch[/variant], e.g. linux/amd64 or linux/arm64/v8`);
  }
  const [os = '', arch = '', variant] = parts;
  const architecture = ARCH_ALIASES[arch] ?? arch;
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(platform: { os?: string; architecture?: string; variant?: string } | undefined): string {
  if (!platform) return '(no platform)';
  return `${platform.os ?? '?'}/${platform.architecture ?? '?'}${platform.variant ? `/${platform.variant}` : ''}`;
}

/** arm64's only variant is v8, so a missing variant and v8 mean the same there. */
function normalVariant(architecture: string | undefined, variant: string | undefined): string | undefined {
  if (architecture === 'arm64' && (variant === undefined || variant === 'v8')) return undefined;
  return variant;
}

/**
 * True when a descriptor's platform satisfies the one asked for: os and architecture equal, and
 * the variant too when one was asked for.
 */
export function platformMatches(wanted: Platform, actual: { os?: string; architecture?: string; variant?: string } | undefined): boolean {
  if (!actual || actual.os !== wanted.os || actual.architecture !== wanted.architecture) return false;
  if (wanted.variant === undefined) return true;
  return normalVariant(wanted.architecture, wanted.variant) === normalVariant(actual.architecture, actual.variant);
}

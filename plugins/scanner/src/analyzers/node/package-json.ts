import { BadInputError } from '@bulkhead/plugin-sdk';
import { parseJson } from './json-lines';
import { npmLicenses } from './licenses';
import { packageId } from './lock-package';

/** The parts of a package.json Bulkhead reads. */
export interface PackageJson {
  /** `name@version`, empty unless both are present (name and version are optional in npm). */
  id: string;
  name: string;
  version: string;
  licenses: string[];
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  workspaces: string[];
}

export function parsePackageJson(text: string, where = 'package.json'): PackageJson {
  const json = parseJson(text, where);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new BadInputError(`${where}: JSON decode error: the top level is not an object`);
  const fields = json as Record<string, unknown>;
  const name = stringField(fields, 'name', where);
  const version = stringField(fields, 'version', where);
  if (name && !isUrlFriendlyName(name)) throw new BadInputError(`${where}: name ${JSON.stringify(name)}: Name can only contain URL-friendly characters`);
  return {
    id: name && version ? packageId(name, version) : '',
    name,
    version,
    licenses: npmLicenses(fields['license']),
    dependencies: stringMap(fields['dependencies']),
    optionalDependencies: stringMap(fields['optionalDependencies']),
    devDependencies: stringMap(fields['devDependencies']),
    peerDependencies: stringMap(fields['peerDependencies']),
    workspaces: workspacePatterns(fields['workspaces']),
  };
}

function stringField(fields: Record<string, unknown>, key: string, where: string): string {
  const value = fields[key];
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new BadInputError(`${where}: "${key}" is a ${typeof value}, not a string`);
  return value;
}

function stringMap(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

/** `workspaces` is an array of globs, or (yarn) an object whose `packages` is one. */
export function workspacePatterns(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value !== null && typeof value === 'object' ? (value as { packages?: unknown }).packages : undefined;
  return Array.isArray(list) ? list.filter((item): item is string => typeof item === 'string') : [];
}

/**
 * npm's rule (validate-npm-package-name): the name, or the scope and the name of `@scope/name`,
 * must survive encodeURIComponent unchanged. Upper case is accepted: legacy packages have it.
 */
export function isUrlFriendlyName(name: string): boolean {
  if (encodeURIComponent(name) === name) return true;
  const scoped = /^@([^/]+)\/([^/]+)$/.exec(name);
  return scoped !== null && encodeURIComponent(scoped[1] as string) === scoped[1] && encodeURIComponent(scoped[2] as string) === scoped[2];
}

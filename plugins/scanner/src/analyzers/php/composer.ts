import type { AnalyzerFile, PackageResult } from '@bulkhead/plugin-sdk';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { packageUrl } from '../purl';
import { topLevelArrayElementLines } from './json-lines';

/** A Composer package as composer.lock or vendor/composer/installed.json records it. */
export interface ComposerPackage {
  /** `vendor/name@version` (Trivy's id). */
  id: string;
  /** `vendor/name`. */
  name: string;
  version: string;
  dev: boolean;
  licenses: string[];
  dependsOn?: string[];
  location?: { startLine: number; endLine: number };
}

interface RawPackage {
  name?: unknown;
  version?: unknown;
  license?: unknown;
  require?: unknown;
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new BadInputError(`${file}: invalid JSON (${(error as Error).message})`);
  }
}

/** Trivy's licence splitting: `MIT or BSD-2-Clause`, `MIT, GPL-2.0` are two licences. */
const LICENSE_SEPARATOR = /,?[_ ]+(?:or|and)[_ ]+|,[ ]*/;

function licenses(value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return list.flatMap((entry) => entry.split(LICENSE_SEPARATOR)).map((l) => l.trim()).filter((l) => l !== '');
}

/**
 * Packages of a list (`packages`, `packages-dev`), with their lines and, once all are known,
 * the locked packages each one requires (platform requirements, `php` and `ext-*`, are not
 * packages and drop out by not being found).
 */
function toPackages(lists: { raw: unknown; dev: boolean; lines: { startLine: number; endLine: number }[] }[], file: string): ComposerPackage[] {
  const packages: (ComposerPackage & { requires: string[] })[] = [];
  for (const { raw, dev, lines } of lists) {
    if (raw === undefined) continue;
    if (!Array.isArray(raw)) throw new BadInputError(`${file}: package list is not an array`);
    raw.forEach((entry: RawPackage, index) => {
      const { name, version } = entry ?? {};
      if (typeof name !== 'string' || typeof version !== 'string' || name === '' || version === '') {
        throw new BadInputError(`${file}:${lines[index]?.startLine ?? '?'}: package #${index + 1} has no name or version`);
      }
      const require = entry.require && typeof entry.require === 'object' ? Object.keys(entry.require) : [];
      packages.push({ id: `${name}@${version}`, name, version, dev, licenses: licenses(entry.license), requires: require, ...(lines[index] ? { location: lines[index] } : {}) });
    });
  }
  const idByName = new Map(packages.map((p) => [p.name.toLowerCase(), p.id]));
  return packages.map(({ requires, ...pkg }) => {
    const dependsOn = requires.flatMap((name) => idByName.get(name.toLowerCase()) ?? []).sort();
    return dependsOn.length > 0 ? { ...pkg, dependsOn } : pkg;
  });
}

/** composer.lock: `packages` and `packages-dev` (marked dev), with licences, lines and requirements. */
export function parseComposerLock(text: string, file: string): ComposerPackage[] {
  const doc = parseJson(text, file) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new BadInputError(`${file}: not a composer.lock object`);
  const lines = topLevelArrayElementLines(text, ['packages', 'packages-dev']);
  return toPackages(
    [
      { raw: doc['packages'], dev: false, lines: lines.get('packages') ?? [] },
      { raw: doc['packages-dev'], dev: true, lines: lines.get('packages-dev') ?? [] },
    ],
    file,
  );
}

/**
 * vendor/composer/installed.json: what Composer installed. Composer 2 writes
 * `{"packages": […], "dev-package-names": […]}`, Composer 1 a bare array.
 */
export function parseInstalledJson(text: string, file: string): ComposerPackage[] {
  const doc = parseJson(text, file);
  if (Array.isArray(doc)) {
    return toPackages([{ raw: doc, dev: false, lines: [] }], file);
  }
  if (!doc || typeof doc !== 'object') throw new BadInputError(`${file}: not a Composer installed.json`);
  const record = doc as Record<string, unknown>;
  const devNames = new Set(Array.isArray(record['dev-package-names']) ? (record['dev-package-names'] as unknown[]).filter((n): n is string => typeof n === 'string') : []);
  const lines = topLevelArrayElementLines(text, ['packages']).get('packages') ?? [];
  return toPackages([{ raw: record['packages'] ?? [], dev: false, lines }], file).map((p) => ({ ...p, dev: devNames.has(p.name) }));
}

export function composerPackageResults(packages: readonly ComposerPackage[], file: AnalyzerFile, source: 'composer.lock' | 'installed.json'): PackageResult[] {
  return packages.map((p) => {
    const slash = p.name.indexOf('/');
    return {
      type: 'composer',
      name: p.name,
      version: p.version,
      purl: slash < 0 ? packageUrl('composer', undefined, p.name, p.version) : packageUrl('composer', p.name.slice(0, slash), p.name.slice(slash + 1), p.version),
      path: file.path,
      ...(file.layer ? { layer: file.layer } : {}),
      metadata: {
        source,
        ...(p.dev ? { dev: true } : {}),
        ...(p.licenses.length > 0 ? { licenses: p.licenses } : {}),
        ...(p.location ? { line: p.location.startLine, endLine: p.location.endLine } : {}),
      },
    };
  });
}

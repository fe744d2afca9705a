import Module from 'node:module';
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import * as hostSdk from '@bulkhead/plugin-sdk';

/**
 * Packages a plugin must share with the host at run time instead of loading its own copy.
 *
 * Why: `@nestjs/graphql` keeps the GraphQL types, fields and resolvers that decorators declare in
 * a module-global store (TypeMetadataStorage), and the host builds its schema from *its* copy's
 * store. A plugin that resolves its own `@nestjs/graphql` (an npm plugin installed with its
 * devDependencies, or a `npm link`ed checkout) registers its types in another store: its query
 * silently never reaches the schema. The same holds for Nest's module and injection metadata
 * (`@nestjs/common`, `@nestjs/core`, `reflect-metadata`), for `graphql` (it refuses schema
 * objects "from another module or realm") and for the shared scalars (`graphql-scalars`).
 * `zod` is shared so the host's JSON Schema export reads a plugin's schemas with its own code.
 * `@bulkhead/plugin-sdk` is shared because its api entry declares GraphQL types (PageInfo) that
 * must exist once. Plugins declare all of these as peer dependencies, so the host's copies are
 * the ones they were built for.
 */
export const HOST_SINGLETONS = ['@nestjs/common', '@nestjs/core', '@nestjs/graphql', 'graphql', 'graphql-scalars', 'reflect-metadata', 'rxjs', 'zod'] as const;
const SDK = '@bulkhead/plugin-sdk';

type ResolveFilename = (request: string, parent: NodeJS.Module | undefined, isMain: boolean, options?: unknown) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

/** Real paths of the plugin package roots whose requires are redirected. */
const pluginRoots = new Set<string>();
let installed = false;

function packageName(request: string): string | undefined {
  if (request.startsWith('.') || path.isAbsolute(request)) return undefined;
  const parts = request.split('/');
  return request.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function isInPluginPackage(filename: string | undefined): boolean {
  if (!filename) return false;
  for (const root of pluginRoots) if (filename.startsWith(root + path.sep)) return true;
  return false;
}

/**
 * The host's own SDK files. The host is compiled with the SDK as relative requires (no
 * node_modules entry), so it is found through the module cache: the file whose exports are the
 * SDK this module imported. Its sub-entries sit beside it (`api/index.js` ...), as in the package.
 */
function hostSdkFile(request: string): string | undefined {
  const root = Object.values(require.cache).find((m) => m?.exports === hostSdk)?.filename;
  if (!root) return undefined;
  const sub = request.slice(SDK.length).replace(/^\//, '');
  return sub ? path.join(path.dirname(root), sub, 'index.js') : root;
}

/** What `request` from a plugin file resolves to in the host, or undefined to resolve it normally. */
function hostResolution(request: string): string | undefined {
  const name = packageName(request);
  if (name === SDK) return hostSdkFile(request);
  if (name && (HOST_SINGLETONS as readonly string[]).includes(name)) {
    try {
      return require.resolve(request);
    } catch {
      return undefined; // the host does not have it (e.g. Nest in a worker-only install): the plugin's own copy
    }
  }
  return undefined;
}

/**
 * Makes every `require` of a host singleton from inside the package at `entryFile` (its own
 * files and its own node_modules) load the host's copy. Idempotent; the hook is installed once.
 */
export function shareHostSingletons(entryFile: string): void {
  pluginRoots.add(packageRoot(realpathSync(entryFile)));
  if (installed) return;
  installed = true;
  const resolve = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = function (request, parent, isMain, options) {
    if (isInPluginPackage(parent?.filename)) {
      const hosted = hostResolution(request);
      if (hosted) return hosted;
    }
    return resolve.call(this, request, parent, isMain, options);
  };
}

/** The directory of the nearest package.json above `file` (the file's own directory if none). */
function packageRoot(file: string): string {
  let dir = path.dirname(file);
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.dirname(file);
    dir = parent;
  }
}

/*
 * The host's GraphQL types a plugin may extend or name (code-first Nest needs the class or enum
 * object itself, not its name: `@Resolver(() => hostGraphqlType('Image'))` with
 * `@ResolveField` adds `Image.vulnerabilities`). The host registers them when its model modules
 * load, before any plugin API entry is loaded. The registry lives on a `Symbol.for` key of
 * globalThis, so a plugin bundling its own copy of the SDK sees the host's registrations.
 */

/** What a plugin's field resolver on the host's `Image` receives as its parent (a part of it). */
export interface HostImageParent {
  /** Image id: the config digest (the `target` of the image's findings). */
  digest: string;
}

/** What a plugin's field resolver on the host's `Package` receives as its parent (a part of it). */
export interface HostPackageParent {
  id: string;
  purl: string;
  /** The file the package was read from (null: not recorded). */
  path: string | null;
  /** Image id (config digest) of the image the package is in. */
  imageDigest: string;
}

/** The host types open to plugins: the core `Image` and `Package` object types and the `FindingStatus` enum. */
export type HostGraphqlTypeName = 'Image' | 'Package' | 'FindingStatus';

const REGISTRY = Symbol.for('bulkhead.host-graphql-types');

function registry(): Map<string, object> {
  const holder = globalThis as unknown as Record<symbol, Map<string, object> | undefined>;
  return (holder[REGISTRY] ??= new Map<string, object>());
}

/**
 * For the host: records the class (object type) or enum object declared under `name`. A module
 * loaded again (a test's fresh module registry) registers its new class: the latest wins.
 */
export function registerHostGraphqlType(name: HostGraphqlTypeName, type: object): void {
  registry().set(name, type);
}

/**
 * The host's class or enum for `name`, e.g. `@Resolver(() => hostGraphqlType('Image'))` or
 * `@Args('status', { type: () => [hostGraphqlType('FindingStatus')] })`. Throws when the host has
 * not registered it (the plugin's API module was loaded outside a Bulkhead API process). Call
 * it from type functions evaluated while the API builds its schema, and declare resolver classes
 * of host types inside the plugin's `module()` (an API entry is also loaded without the host,
 * e.g. by `bulkhead migrate`; `@Resolver(() => ...)` evaluates its type function at once).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's typeFn wants a class (any constructor) or an enum object
export function hostGraphqlType(name: HostGraphqlTypeName): any {
  const type = registry().get(name);
  if (type === undefined) throw new Error(`the host has not registered its GraphQL type ${name}: load plugin API modules inside the Bulkhead API`);
  return type;
}

/*
 * Object types a plugin shares under a well-known name, so another plugin can add fields to
 * them without importing it (the benchmark plugin adds `Vulnerability.workloads` to the scanner's
 * `Vulnerability`), as plugin services share facts (services.ts). The owner registers its class
 * when its API entry loads; the host loads every plugin's API entry before it calls any
 * `module()`, so a consumer asks from its `module()` and extends the type only when a loaded
 * plugin shares it (undefined otherwise: the consumer's field is simply absent).
 */

/** The shared plugin types: the scanner's `Vulnerability` (a vulnerability finding of a package in an image). */
export type SharedGraphqlTypeName = 'Vulnerability';

/** What a field resolver on a shared `Vulnerability` receives as its parent (a part of it). */
export interface SharedVulnerabilityParent {
  /** The image id (config digest) the vulnerable package is in. */
  image: string;
}

const SHARED = Symbol.for('bulkhead.shared-graphql-types');

function sharedRegistry(): Map<string, object> {
  const holder = globalThis as unknown as Record<symbol, Map<string, object> | undefined>;
  return (holder[SHARED] ??= new Map<string, object>());
}

/** For the owning plugin: shares its class under `name` (the latest registration wins, as for host types). */
export function registerSharedGraphqlType(name: SharedGraphqlTypeName, type: object): void {
  sharedRegistry().set(name, type);
}

/** The class a loaded plugin shares under `name`, or undefined when none does. Call it from `module()`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- Nest's typeFn wants a class (any constructor)
export function sharedGraphqlType(name: SharedGraphqlTypeName): any {
  return sharedRegistry().get(name);
}

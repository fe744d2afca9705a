import { posix } from 'node:path';
import { BadInputError } from '@bulkhead/plugin-sdk';
import type { Relationship } from '../golang/go-module';
import { parsePomXml, snapshotPomVersion, type PomDependency, type PomXml } from './pom-xml';

/**
 * Maven dependency resolution from a pom.xml, as Trivy's pom parser does it offline, within one
 * file tree: parents (by `relativePath`, `../pom.xml`, then the local repository), properties,
 * `dependencyManagement` (the POM's, its parents', imported BOMs', and the root POM's, which
 * wins for transitive dependencies), exclusions (wildcards too), scopes (`compile`, `runtime`
 * and none are kept; `test`, `provided`, `system`, `import` and optional dependencies are not),
 * soft and hard (`[1.2.3]`) version requirements with nearest-wins, and modules (each resolved
 * on its own, as `mvn` does). Transitive dependencies are read from a local Maven repository in
 * the same tree (`<repo>/<group path>/<artifact>/<version>/<artifact>-<version>.pom`, a
 * snapshot's timestamped POM through maven-metadata*.xml); nothing is fetched from a network.
 * A POM that is not found leaves its artifact in the result without dependencies, as Trivy.
 */
export interface PomFiles {
  /** The bytes of a file of the tree, or undefined when absent. */
  read(path: string): Buffer | undefined;
  /** Local Maven repository roots in the tree (`root/.m2/repository`), in the order to try. */
  repositories: readonly string[];
}

export interface MavenArtifact {
  /** `groupId:artifactId:version`, unique within one root POM or module (Trivy's id without its path hash). */
  id: string;
  /** `groupId:artifactId`. */
  name: string;
  /** Empty when the version cannot be determined (a managed version nobody provides). */
  version: string;
  relationship: Relationship | 'workspace';
  licenses?: string[];
  location?: { startLine: number; endLine: number };
  dependsOn?: string[];
  /** The root or module POM this artifact was resolved for. */
  rootFile: string;
}

/** Bounds against hostile or broken trees: parent chains, import chains, resolved artifacts. */
const MAX_PARENT_DEPTH = 64;
const MAX_IMPORT_DEPTH = 32;
const MAX_QUEUE = 100_000;

interface Version {
  value: string;
  hard: boolean;
}

/** Soft (`1.2.3`) and hard (`[1.2.3]`) requirements; ranges are not supported (empty version). */
function newVersion(raw: string): Version {
  let value = raw;
  let hard = false;
  if (value.startsWith('[') && value.endsWith(']')) {
    value = value.slice(1, -1);
    hard = true;
  }
  if (/[,()[\]]/.test(value)) value = '';
  return { value, hard };
}

interface Artifact {
  groupId: string;
  artifactId: string;
  version: Version;
  licenses?: string[];
  exclusions: Set<string>;
  module: boolean;
  relationship: MavenArtifact['relationship'];
  location?: { startLine: number; endLine: number };
  rootFile: string;
}

const artifactName = (a: { groupId: string; artifactId: string }): string => `${a.groupId}:${a.artifactId}`;
const isEmpty = (a: Artifact): boolean => a.groupId === '' || a.artifactId === '';
const isProperty = (s: string): boolean => s.startsWith('${') && s.endsWith('}');

/**
 * `${name}` references, evaluated recursively; an unknown property becomes empty, as does a
 * loop (Trivy). `env.*` is empty: the scanner's environment says nothing about the image.
 */
export function evaluate(s: string, props: Readonly<Record<string, string>>, seen: string[] = []): string {
  let out = s;
  for (const match of s.matchAll(/\$\{(\S+?)\}/g)) {
    const key = match[1] ?? '';
    let value = '';
    if (!key.startsWith('env.') && Object.hasOwn(props, key)) {
      const raw = props[key] ?? '';
      if (seen.includes(raw)) return '';
      value = evaluate(raw, props, [...seen, raw]);
    }
    out = out.split(match[0]).join(value);
  }
  return out.trim();
}

function newArtifact(groupId: string, artifactId: string, version: string, licenses: string[] | undefined, props: Readonly<Record<string, string>>, rootFile = ''): Artifact {
  return {
    groupId: evaluate(groupId, props),
    artifactId: evaluate(artifactId, props),
    version: newVersion(evaluate(version, props)),
    ...(licenses && licenses.length > 0 ? { licenses } : {}),
    exclusions: new Set(),
    module: false,
    relationship: 'indirect',
    rootFile,
  };
}

interface Pom {
  file: string;
  content: PomXml;
}

interface Analysis {
  file: string;
  artifact?: Artifact;
  dependencies: Artifact[];
  dependencyManagement: PomDependency[];
  properties: Record<string, string>;
  modules: string[];
}

const emptyAnalysis = (): Analysis => ({ file: '', dependencies: [], dependencyManagement: [], properties: {}, modules: [] });

/** Properties of a POM: its `<properties>`, then `project.*` (and bare) model values, which win. */
function pomProperties(pom: PomXml): Record<string, string> {
  const model: Record<string, string> = {
    'parent.groupId': pom.parent.groupId,
    'parent.artifactId': pom.parent.artifactId,
    'parent.version': pom.parent.version,
    'parent.relativePath': pom.parent.relativePath,
    groupId: pom.groupId,
    artifactId: pom.artifactId,
    version: pom.version,
  };
  for (const [key, value] of Object.entries(pom.properties)) if (!model[key]) model[key] = value;
  const project: Record<string, string> = {};
  for (const [key, value] of Object.entries(model)) {
    if (key.startsWith('project.')) continue;
    project[`project.${key}`] = value;
    project[key] = value;
  }
  return { ...pom.properties, ...project };
}

function pomArtifact(pom: PomXml, rootFile = ''): Artifact {
  return newArtifact(pom.groupId, pom.artifactId, pom.version, pom.licenses, pom.properties, rootFile);
}

/** Keeps the first entry per name (earlier lists win). */
function mergeByName(...lists: PomDependency[][]): PomDependency[] {
  const seen = new Set<string>();
  const out: PomDependency[] = [];
  for (const dep of lists.flat()) {
    const name = artifactName(dep);
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(dep);
  }
  return out;
}

const findManaged = (name: string, managed: readonly PomDependency[]): PomDependency | undefined => managed.find((d) => artifactName(d) === name);

/**
 * Evaluates a dependency's variables, fills version/scope/optional from the POM's
 * dependencyManagement, then lets the root POM's dependencyManagement override version, scope
 * (but never a `test` scope) and optional; exclusions accumulate.
 */
function resolveDependency(d: PomDependency, props: Record<string, string>, managed: readonly PomDependency[], rootManaged: readonly PomDependency[]): PomDependency {
  const dep: PomDependency = {
    ...d,
    groupId: evaluate(d.groupId, props),
    artifactId: evaluate(d.artifactId, props),
    version: evaluate(d.version, props),
    scope: evaluate(d.scope, props),
    exclusions: [...d.exclusions],
  };
  const local = findManaged(artifactName(dep), managed);
  if (local) {
    if (dep.version === '') dep.version = evaluate(local.version, props);
    if (dep.scope === '') dep.scope = evaluate(local.scope, props);
    if (!dep.optional) dep.optional = local.optional;
    dep.exclusions.push(...local.exclusions);
  }
  const root = findManaged(artifactName(dep), rootManaged);
  if (root) {
    if (root.version !== '') dep.version = evaluate(root.version, props);
    if (root.scope !== '' && dep.scope !== 'test') dep.scope = evaluate(root.scope, props);
    if (root.optional) dep.optional = true;
    dep.exclusions.push(...root.exclusions);
  }
  return dep;
}

function excluded(exclusions: ReadonlySet<string>, a: Artifact): boolean {
  if (exclusions.has(artifactName(a))) return true;
  for (const e of exclusions) {
    const [g, id] = e.split(':');
    if ((g === a.groupId || g === '*') && (id === a.artifactId || id === '*')) return true;
  }
  return false;
}

export class PomResolver {
  private readonly cache = new Map<string, Analysis>();
  private readonly parsed = new Map<string, PomXml>();
  private importDepth = 0;
  /** POMs whose parents are merged in already (Trivy merges a relativePath parent twice; once is the same). */
  private readonly inherited = new WeakSet<Pom>();

  constructor(private readonly files: PomFiles) {}

  /** Resolves the pom.xml at `file` (root-relative) into its artifacts. */
  resolve(file: string): MavenArtifact[] {
    const content = this.readPom(file, true);
    if (!content) throw new BadInputError(`${file}: not found`);
    const root: Pom = { file, content };
    const result = this.analyze(root, { exclusions: new Set(), rootManaged: [], rootFile: file });
    const art = result.artifact ?? newArtifact('', '', '', undefined, {}, file);
    this.cache.set(this.cacheKey(art), result);
    return this.resolveRoot({ ...art, relationship: 'root' }, new Set());
  }

  /**
   * Resolution results are cached per artifact and per root or module POM: the root's
   * dependencyManagement changes what a dependency's own dependencies resolve to, so two modules
   * depending on the same GAV may see different children.
   */
  private cacheKey(a: Artifact): string {
    return `${artifactName(a)}:${a.version.value}\u0000${a.rootFile}`;
  }

  private readPom(file: string, withLines: boolean): PomXml | undefined {
    const key = `${file}\u0000${withLines}`;
    const cached = this.parsed.get(key);
    if (cached) return structuredClone(cached);
    const bytes = this.files.read(file);
    if (!bytes) return undefined;
    const content = parsePomXml(bytes.toString('utf8'), file, withLines);
    this.parsed.set(key, content);
    return structuredClone(content);
  }

  private resolveRoot(root: Artifact, uniqModules: Set<string>): MavenArtifact[] {
    const queue: Artifact[] = [{ ...root, module: false }];
    const out: MavenArtifact[] = [];
    const uniq = new Map<string, Artifact>();
    const uniqDeps = new Map<string, string[]>();
    let rootManaged: PomDependency[] = [];
    let processed = 0;
    const idOf = (name: string, version: string): string => `${name}:${version}`;
    while (queue.length > 0) {
      if (++processed > MAX_QUEUE) throw new BadInputError(`${root.rootFile}: more than ${MAX_QUEUE} artifacts to resolve`);
      let art = queue.shift() as Artifact;
      if (art.module) {
        const id = `${idOf(artifactName(art), art.version.value)}\u0000${art.rootFile}`;
        if (uniqModules.has(id)) continue;
        uniqModules.add(id);
        out.push(...this.resolveRoot(art, uniqModules));
        continue;
      }
      const known = uniq.get(artifactName(art));
      if (known) {
        // Nearest wins, unless a later requirement is hard and the first was soft.
        if (!(!known.version.hard && art.version.hard)) continue;
        art = { ...art };
        if (known.relationship === 'root' || known.relationship === 'workspace' || known.relationship === 'direct') art.relationship = known.relationship;
        if (known.location) art.location = known.location;
      }
      const result = this.resolveArtifact(art, rootManaged);
      if (art.relationship === 'root' || art.relationship === 'workspace') {
        rootManaged = this.resolveManaged(result.properties, result.dependencyManagement);
        result.dependencies = result.dependencies.map((d) => ({ ...d, relationship: 'direct' }));
      }
      for (const relativePath of result.modules) {
        const module = this.parseModule(result.file, relativePath);
        if (module) queue.push(module);
      }
      queue.push(...result.dependencies);
      if (!isEmpty(art)) {
        uniq.set(artifactName(art), { ...art, licenses: result.artifact?.licenses });
        uniqDeps.set(idOf(artifactName(art), art.version.value), result.dependencies.map(artifactName));
      }
    }
    const moduleIds = [...uniqModules].map((id) => id.split('\u0000')[0] ?? '');
    for (const [name, art] of uniq) {
      const id = idOf(name, art.version.value);
      const dependsOn = (uniqDeps.get(id) ?? []).flatMap((dep) => {
        const version = uniq.get(dep)?.version.value ?? '';
        return version === '' ? [] : [idOf(dep, version)];
      });
      if (art.relationship === 'root') dependsOn.push(...moduleIds);
      out.push({
        id,
        name,
        version: art.version.value,
        relationship: art.relationship,
        ...(art.licenses && art.licenses.length > 0 ? { licenses: art.licenses } : {}),
        ...(art.location ? { location: art.location } : {}),
        ...(dependsOn.length > 0 ? { dependsOn: dependsOn.sort() } : {}),
        rootFile: root.rootFile,
      });
    }
    return out;
  }

  private parseModule(currentFile: string, relativePath: string): Artifact | undefined {
    const module = this.openRelative(currentFile, relativePath);
    if (!module) return undefined;
    const result = this.analyze(module, { exclusions: new Set(), rootManaged: [], rootFile: module.file });
    const art: Artifact = { ...pomArtifact(module.content, module.file), module: true, relationship: 'workspace' };
    this.cache.set(this.cacheKey(art), result);
    return art;
  }

  private resolveArtifact(art: Artifact, rootManaged: readonly PomDependency[]): Analysis {
    const cached = this.cache.get(this.cacheKey(art));
    if (cached) return { ...cached, dependencies: [...cached.dependencies] };
    if (art.version.value === '') return { ...emptyAnalysis(), artifact: art };
    const pom = this.fromRepository(art.groupId, art.artifactId, art.version.value);
    const result = pom ? this.analyze(pom, { exclusions: art.exclusions, rootManaged, rootFile: art.rootFile }) : emptyAnalysis();
    this.cache.set(this.cacheKey(art), result);
    return result;
  }

  private analyze(pom: Pom, opts: { exclusions: ReadonlySet<string>; rootManaged: readonly PomDependency[]; rootFile: string }): Analysis {
    this.resolveParent(pom, []);
    const props = pomProperties(pom.content);
    const managed = pom.content.dependencyManagement;
    const dependencies = this.parseDependencies(pom.content.dependencies, props, managed, opts).filter((d) => !excluded(opts.exclusions, d));
    return {
      file: pom.file,
      artifact: pomArtifact(pom.content, opts.rootFile),
      dependencies,
      dependencyManagement: managed,
      properties: props,
      modules: pom.content.modules,
    };
  }

  private parseDependencies(deps: readonly PomDependency[], props: Record<string, string>, managed: readonly PomDependency[], opts: { exclusions: ReadonlySet<string>; rootManaged: readonly PomDependency[]; rootFile: string }): Artifact[] {
    if (deps.length === 0) return [];
    const resolvedManaged = this.resolveManaged(props, managed);
    const out: Artifact[] = [];
    for (const raw of deps) {
      const d = resolveDependency(raw, props, resolvedManaged, opts.rootManaged);
      if ((d.scope !== '' && d.scope !== 'compile' && d.scope !== 'runtime') || d.optional) continue;
      const exclusions = new Set(opts.exclusions);
      for (const e of d.exclusions) exclusions.add(`${e.groupId}:${e.artifactId}`);
      out.push({
        groupId: d.groupId,
        artifactId: d.artifactId,
        version: newVersion(d.version),
        exclusions,
        module: false,
        relationship: 'indirect',
        ...(d.startLine !== 0 && d.endLine !== 0 ? { location: { startLine: d.startLine, endLine: d.endLine } } : {}),
        rootFile: opts.rootFile,
      });
    }
    return out;
  }

  /** dependencyManagement with variables evaluated and `import`-scoped BOMs expanded after the rest. */
  private resolveManaged(props: Record<string, string>, managed: readonly PomDependency[]): PomDependency[] {
    let out: PomDependency[] = [];
    const imports: PomDependency[] = [];
    for (const dep of managed) {
      if (dep.scope === 'import') imports.push(dep);
      else out.push(resolveDependency(dep, props, [], []));
    }
    if (imports.length > 0 && this.importDepth >= MAX_IMPORT_DEPTH) throw new BadInputError(`BOM imports nest more than ${MAX_IMPORT_DEPTH} deep (a cycle?)`);
    this.importDepth++;
    try {
      for (const imp of imports) {
        const art = newArtifact(imp.groupId, imp.artifactId, imp.version, undefined, props);
        const result = this.resolveArtifact(art, []);
        const merged = { ...props, ...result.properties };
        const nested = this.resolveManaged(merged, result.dependencyManagement).map((d) => resolveDependency(d, merged, [], []));
        out = mergeByName(out, nested);
      }
    } finally {
      this.importDepth--;
    }
    return out;
  }

  /** Resolves the parent chain, inheriting groupId, version, licences, properties, managed and declared dependencies. */
  private resolveParent(pom: Pom, chain: readonly string[]): void {
    if (chain.includes(pom.file)) throw new BadInputError(`${chain[0] ?? pom.file}: parent POMs form a cycle (${[...chain, pom.file].join(' -> ')})`);
    if (chain.length > MAX_PARENT_DEPTH) throw new BadInputError(`${chain[0] ?? pom.file}: parent POMs nest more than ${MAX_PARENT_DEPTH} deep`);
    if (this.inherited.has(pom)) return;
    this.inherited.add(pom);
    const parent = this.parseParent(pom, [...chain, pom.file]);
    if (!parent) return;
    const child = pom.content;
    child.properties = { ...pomProperties(parent.content), ...child.properties };
    const art = pomArtifact(child);
    const parentArt = pomArtifact(parent.content);
    child.groupId = art.groupId || parentArt.groupId;
    child.artifactId = art.artifactId;
    child.licenses = art.licenses ?? parentArt.licenses ?? [];
    const version = art.version.value || parentArt.version.value;
    child.version = isProperty(version) ? evaluate(version, child.properties) : version;
    child.properties = { ...parent.content.properties, ...child.properties };
    child.dependencyManagement = mergeByName(child.dependencyManagement, parent.content.dependencyManagement);
    child.dependencies = mergeByName(child.dependencies, parent.content.dependencies);
  }

  private parseParent(pom: Pom, chain: readonly string[]): Pom | undefined {
    const p = pom.content.parent;
    // Variables in <parent> are not evaluated (a ${revision} version still names a parent).
    const target = newArtifact(p.groupId, p.artifactId, p.version, undefined, {});
    if (isEmpty(target) && !isProperty(p.version)) return undefined;
    const parent = this.retrieveParent(pom.file, p.relativePath, target, chain);
    if (parent) this.resolveParent(parent, chain);
    return parent;
  }

  private retrieveParent(currentFile: string, relativePath: string, target: Artifact, chain: readonly string[]): Pom | undefined {
    for (const candidate of relativePath ? [relativePath, '../pom.xml'] : ['../pom.xml']) {
      const pom = this.tryRelativePath(target, currentFile, candidate, chain);
      if (pom) return pom;
    }
    return this.fromRepository(target.groupId, target.artifactId, target.version.value);
  }

  private tryRelativePath(target: Artifact, currentFile: string, relativePath: string, chain: readonly string[]): Pom | undefined {
    const pom = this.openRelative(currentFile, relativePath);
    // Only the artifactId can be compared before resolving (groupId and version may be inherited).
    if (!pom || pomArtifact(pom.content).artifactId !== target.artifactId) return undefined;
    this.resolveParent(pom, chain);
    const found = pomArtifact(pom.content);
    // Trivy's artifact.Equal: any one coordinate in common.
    if (!(found.groupId === target.groupId || found.artifactId === target.artifactId || found.version.value === target.version.value)) return undefined;
    return pom;
  }

  /** `relativePath` from the POM's directory: a file, or a directory holding pom.xml. */
  private openRelative(currentFile: string, relativePath: string): Pom | undefined {
    const joined = posix.normalize(posix.join(posix.dirname(currentFile), relativePath));
    if (joined.startsWith('../') || joined === '..') return undefined;
    for (const file of [joined, posix.join(joined, 'pom.xml')]) {
      const content = this.readPom(file, false);
      if (content) return { file, content };
    }
    return undefined;
  }

  private fromRepository(groupId: string, artifactId: string, version: string): Pom | undefined {
    if (version === '' || groupId === '' || artifactId === '') return undefined;
    const segments = [...groupId.split('.'), artifactId, version];
    if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes('/'))) return undefined;
    for (const repo of this.files.repositories) {
      const dir = posix.join(repo, ...segments);
      const names = [`${artifactId}-${version}.pom`];
      if (version.endsWith('-SNAPSHOT')) {
        for (const metadata of ['maven-metadata.xml', 'maven-metadata-local.xml', 'maven-metadata-central.xml']) {
          const xml = this.files.read(posix.join(dir, metadata));
          const stamped = xml ? snapshotPomVersion(xml.toString('utf8')) : undefined;
          if (stamped) names.unshift(`${artifactId}-${stamped}.pom`);
        }
      }
      for (const name of names) {
        const file = posix.join(dir, name);
        const content = this.readPom(file, false);
        if (content) return { file, content };
      }
    }
    return undefined;
  }
}

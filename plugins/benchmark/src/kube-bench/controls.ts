import { BadInputError } from '@bulkhead/plugin-sdk';
import { FAILSAFE_SCHEMA, load, YAMLException } from 'js-yaml';

/**
 * The kube-bench control file format (cfg/<benchmark>/<target>.yaml), read exactly as kube-bench
 * reads it with gopkg.in/yaml.v2 into its Go structs:
 * - scalars keep their source text (yaml.v2 stores the raw scalar in a Go string field), so ids
 *   like `1.10` and values like `0600` are not turned into numbers: js-yaml's failsafe schema
 *   gives exactly that, and js-yaml is as lenient as libyaml about the under-indented quoted
 *   continuation lines that 22 upstream files contain (the `yaml` package rejects them);
 * - unknown keys are ignored, missing ones take Go zero values, except a test item's `set`, which
 *   defaults to true (kube-bench's testItem.UnmarshalYAML).
 *
 * Control files embed shell commands (`audit`, `audit_config`, `audit_env`) that are run as root
 * on the node: only load control files you trust as much as the code itself.
 */
export interface Controls {
  id: string;
  version: string;
  text: string;
  /** Node type the file is for: master, node, etcd, controlplane, policies, managedservices. */
  type: string;
  groups: ControlGroup[];
}

export interface ControlGroup {
  id: string;
  text: string;
  /** `skip` marks every check of the group as skipped. */
  type: string;
  checks: ControlCheck[];
}

export interface ControlCheck {
  id: string;
  text: string;
  audit: string;
  auditEnv: string;
  auditConfig: string;
  /** `manual`, `skip` or empty. */
  type: string;
  /** Absent `tests:` is null (kube-bench's nil pointer), which matters for the WARN rule. */
  tests: ControlTests | null;
  remediation: string;
  scored: boolean;
  /** `use_multiple_values`: each output line must pass on its own. */
  useMultipleValues: boolean;
  /** `disableEnvTesting`: no default `audit_env` is generated for `env` test items. */
  disableEnvTesting: boolean;
}

export interface ControlTests {
  /** `and` (also when empty) or `or`; anything else makes the check fail with an error. */
  binOp: string;
  testItems: TestItem[];
}

export interface TestItem {
  flag: string;
  env: string;
  path: string;
  set: boolean;
  compare: { op: string; value: string };
}

/** Parses one control file; errors name the file, the line (for syntax) and the field. */
export function parseControls(source: string, file: string): Controls {
  let root: unknown;
  try {
    root = load(source, { schema: FAILSAFE_SCHEMA, filename: file });
  } catch (error) {
    if (error instanceof YAMLException) {
      throw new BadInputError(`${file}:${error.mark.line + 1}: invalid YAML: ${error.reason}`);
    }
    throw error;
  }
  const r = new Reader(file);
  const m = r.map(root, '(top level)');
  return {
    id: r.str(m, 'id', ''),
    version: r.str(m, 'version', ''),
    text: r.str(m, 'text', ''),
    type: r.str(m, 'type', ''),
    groups: r.list(m, 'groups', 'groups').map((g, gi) => {
      const where = `groups[${gi}]`;
      const gm = r.map(g, where);
      return {
        id: r.str(gm, 'id', where),
        text: r.str(gm, 'text', where),
        type: r.str(gm, 'type', where),
        checks: r.list(gm, 'checks', `${where}.checks`).map((c, ci) => parseCheck(r, c, `${where}.checks[${ci}]`)),
      };
    }),
  };
}

function parseCheck(r: Reader, node: unknown, where: string): ControlCheck {
  const m = r.map(node, where);
  let tests: ControlTests | null = null;
  if (m['tests'] !== undefined && m['tests'] !== null) {
    const tw = `${where}.tests`;
    const tm = r.map(m['tests'], tw);
    tests = {
      binOp: r.str(tm, 'bin_op', tw),
      testItems: r.list(tm, 'test_items', `${tw}.test_items`).map((t, ti) => {
        const iw = `${tw}.test_items[${ti}]`;
        const item = r.map(t, iw);
        const cmp = item['compare'] === undefined || item['compare'] === null ? undefined : r.map(item['compare'], `${iw}.compare`);
        return {
          flag: r.str(item, 'flag', iw),
          env: r.str(item, 'env', iw),
          path: r.str(item, 'path', iw),
          set: r.bool(item, 'set', iw, true),
          compare: { op: cmp ? r.str(cmp, 'op', `${iw}.compare`) : '', value: cmp ? r.str(cmp, 'value', `${iw}.compare`) : '' },
        };
      }),
    };
  }
  return {
    id: r.str(m, 'id', where),
    text: r.str(m, 'text', where),
    audit: r.str(m, 'audit', where),
    auditEnv: r.str(m, 'audit_env', where),
    auditConfig: r.str(m, 'audit_config', where),
    type: r.str(m, 'type', where),
    tests,
    remediation: r.str(m, 'remediation', where),
    scored: r.bool(m, 'scored', where, false),
    useMultipleValues: r.bool(m, 'use_multiple_values', where, false),
    disableEnvTesting: r.bool(m, 'disableenvtesting', where, false),
  };
}

type YamlObject = Record<string, unknown>;

// yaml.v2 accepts these spellings for booleans (YAML 1.1).
const TRUE_WORDS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE_WORDS = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);

/** Reads typed fields off the parsed file, with errors that name file and field. */
class Reader {
  constructor(private readonly file: string) {}

  private fail(field: string, problem: string): never {
    throw new BadInputError(`${this.file}: ${field}: ${problem}`);
  }

  map(node: unknown, where: string): YamlObject {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) this.fail(where, 'expected a mapping');
    return node as YamlObject;
  }

  list(parent: YamlObject, key: string, where: string): unknown[] {
    const node = parent[key];
    if (node === undefined || node === null) return [];
    if (!Array.isArray(node)) this.fail(where, 'expected a list');
    return node;
  }

  str(parent: YamlObject, key: string, where: string): string {
    const node = parent[key];
    if (node === undefined || node === null) return '';
    if (typeof node !== 'string') this.fail(joinField(where, key), 'expected a scalar value');
    return node;
  }

  bool(parent: YamlObject, key: string, where: string, fallback: boolean): boolean {
    const raw = this.str(parent, key, where);
    if (raw === '') return fallback;
    if (TRUE_WORDS.has(raw)) return true;
    if (FALSE_WORDS.has(raw)) return false;
    return this.fail(joinField(where, key), `expected true or false, got ${JSON.stringify(raw)}`);
  }
}

function joinField(where: string, key: string): string {
  return where ? `${where}.${key}` : key;
}

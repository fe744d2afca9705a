import { engineOf, load, matches, ruleYaml } from './test-helpers';
import { formatDiagnostic } from './diagnostics';
import { RuleEngine } from './engine';

const writer = { 'evt.type': 'open', 'proc.name': 'my-custom-yum', 'proc.cmdline': 'apt-get install x', 'fd.name': '/usr/bin/x', 'container.image.repository': 'docker.io/alpine' };

/** The example of Falco's "rules/exceptions" documentation, in every form it shows. */
const EXCEPTIONS_RULE = `
- list: custom_dirs
  items: [/usr/bin, /usr/local/bin]
- rule: Write below binary dir
  desc: d
  condition: evt.type = open and fd.directory in (/usr/bin, /usr/local/bin, /bin)
  output: "w %proc.name %fd.name"
  priority: ERROR
  exceptions:
    - name: proc_writer
      fields: [proc.name, fd.directory]
      comps: [=, =]
      values:
        - [my-custom-yum, /usr/bin]
        - [my-custom-apt, /usr/local/bin]
    - name: cmdline_writer
      fields: [proc.cmdline]
      comps: [startswith]
      values:
        - [apt-get install]
    - name: container_writer
      fields: [container.image.repository, fd.directory]
    - name: proc_filenames
      fields: [proc.name, fd.name]
      comps: [=, in]
      values:
        - [my-custom-dpkg, [/usr/bin/x, /bin/y]]
    - name: filenames
      fields: fd.filename
      comps: in
      values: [python, go]
    - name: dir_list
      fields: fd.directory
      values: [custom_dirs]
`;

describe('exceptions (falco docs rules/exceptions)', () => {
  const engine = engineOf([EXCEPTIONS_RULE]);
  const base = { 'evt.type': 'open', 'proc.name': 'cp', 'proc.cmdline': 'cp a b', 'container.image.repository': 'x' };

  it('matches when no exception applies', () => {
    expect(matches(engine, { ...base, 'fd.name': '/bin/ls' })).toEqual(['Write below binary dir']);
  });
  it('tuple form with comps (= , =)', () => {
    const e = engineOf([EXCEPTIONS_RULE.replace('values: [custom_dirs]', 'values: [/nowhere]')]);
    expect(matches(e, { ...base, 'proc.name': 'my-custom-yum', 'fd.name': '/usr/bin/x' })).toEqual([]);
    expect(matches(e, { ...base, 'proc.name': 'my-custom-yum', 'fd.name': '/usr/local/bin/x' })).toEqual(['Write below binary dir']);
  });
  it('tuple form with a non-default operator (startswith)', () => {
    expect(matches(engine, { ...base, 'proc.cmdline': 'apt-get install vim', 'fd.name': '/bin/vim' })).toEqual([]);
  });
  it('fields without values add nothing', () => {
    expect(matches(engine, { ...base, 'container.image.repository': 'docker.io/alpine', 'fd.name': '/bin/ls' })).toEqual(['Write below binary dir']);
  });
  it('a tuple item may itself be a list for the in operator', () => {
    expect(matches(engine, { ...base, 'proc.name': 'my-custom-dpkg', 'fd.name': '/bin/y' })).toEqual([]);
    expect(matches(engine, { ...base, 'proc.name': 'my-custom-dpkg', 'fd.name': '/bin/z' })).toEqual(['Write below binary dir']);
  });
  it('single field form: comps in with a list of values', () => {
    expect(matches(engine, { ...base, 'fd.name': '/bin/python' })).toEqual([]);
    expect(matches(engine, { ...base, 'fd.name': '/bin/go' })).toEqual([]);
  });
  it('single field form defaults to in, and a value may name a list', () => {
    expect(matches(engine, { ...base, 'fd.name': '/usr/local/bin/anything' })).toEqual([]);
  });
  it('appending values to an existing exception and adding a new one', () => {
    const e = engineOf([
      EXCEPTIONS_RULE.replace('values: [custom_dirs]', 'values: [/nowhere]'),
      `- rule: Write below binary dir
  exceptions:
    - name: container_writer
      values:
        - [docker.io/alpine, /bin]
    - name: by_user
      fields: [user.name]
      values: [[root]]
  append: true`,
    ]);
    expect(matches(e, { ...base, 'container.image.repository': 'docker.io/alpine', 'fd.name': '/bin/ls' })).toEqual([]);
    expect(matches(e, { ...base, 'user.name': 'root', 'fd.name': '/bin/ls' })).toEqual([]);
    expect(matches(e, { ...base, 'user.name': 'alice', 'fd.name': '/bin/ls' })).toEqual(['Write below binary dir']);
  });
  it('rejects malformed exceptions with their position', () => {
    const r = load(`- rule: X
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: bad
      fields: [proc.name, fd.name]
      comps: [=]
      values: []`);
    expect(r.errors.map(formatDiagnostic)).toEqual([expect.stringMatching(/^a\.yaml:7:7: error: rule X: exception bad: 'fields' and 'comps' lists must have the same length/)]);
    const r2 = load(ruleYaml('evt.type = open', '  exceptions:\n    - name: bad\n      fields: [proc.name]\n      values: [[a, b]]\n'));
    expect(r2.errors[0].message).toMatch(/value #1 has 2 items but there are 1 fields/);
    const r3 = load(ruleYaml('evt.type = open', '  exceptions:\n    - name: bad\n      fields: [proc.nope]\n      values: [[a]]\n'));
    expect(r3.errors[0].message).toMatch(/unknown field 'proc.nope'/);
  });
  it('leaves a writer not covered by any exception alone', () => {
    expect(matches(engine, writer)).toEqual([]);
  });
});

describe('append and override (falco docs rules/overriding)', () => {
  const base = `
- list: shells
  items: [bash]
- macro: spawned
  condition: evt.type = execve
- rule: Shell
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: "shell %proc.name"
  priority: WARNING
  tags: [a]
`;
  const bash = { 'evt.type': 'execve', 'proc.name': 'bash' };
  const zsh = { 'evt.type': 'execve', 'proc.name': 'zsh' };

  it('append: true on lists, macros and rule conditions', () => {
    const e = engineOf([base, '- list: shells\n  items: [zsh]\n  append: true\n']);
    expect(matches(e, zsh)).toEqual(['Shell']);
    const m = engineOf([base, '- macro: spawned\n  condition: and proc.pid > 0\n  append: true\n']);
    expect(matches(m, bash)).toEqual([]);
    expect(matches(m, { ...bash, 'proc.pid': 5 })).toEqual(['Shell']);
    const r = engineOf([base, '- rule: Shell\n  condition: and proc.pid > 0\n  append: true\n']);
    expect(matches(r, bash)).toEqual([]);
  });
  it('override: append and replace per key', () => {
    const e = engineOf([base, '- list: shells\n  items: [zsh]\n  override:\n    items: append\n']);
    expect(matches(e, zsh)).toEqual(['Shell']);
    const replaced = engineOf([base, '- list: shells\n  items: [zsh]\n  override:\n    items: replace\n']);
    expect(matches(replaced, bash)).toEqual([]);
    expect(matches(replaced, zsh)).toEqual(['Shell']);
    const rule = engineOf([base, '- rule: Shell\n  condition: and proc.pid > 0\n  priority: ERROR\n  override:\n    condition: append\n    priority: replace\n']);
    expect(matches(rule, { ...bash, 'proc.pid': 1 })).toEqual(['Shell']);
    expect(rule.rules[0].priority).toBe('Error');
    const macro = engineOf([base, '- macro: spawned\n  condition: evt.type = execveat\n  override:\n    condition: replace\n']);
    expect(matches(macro, bash)).toEqual([]);
    expect(matches(macro, { ...bash, 'evt.type': 'execveat' })).toEqual(['Shell']);
  });
  it('refuses append and override together, unknown override keys and missing targets', () => {
    expect(load(base, '- list: shells\n  items: [zsh]\n  append: true\n  override:\n    items: append\n').errors[0].message).toMatch(/cannot be used together/);
    expect(load(base, '- rule: Shell\n  priority: ERROR\n  override:\n    priority: append\n').errors[0].message).toMatch(/cannot be appended to, only replaced/);
    expect(load(base, '- rule: Shell\n  priority: ERROR\n  override:\n    condition: replace\n').errors[0].message).toMatch(/'condition' appears in 'override' but is not defined/);
    expect(load(base, '- list: nope\n  items: [a]\n  append: true\n').errors[0].message).toMatch(/list nope has 'append' but no list by that name already exists/);
    expect(load(base, '- rule: Nope\n  condition: x\n  append: true\n').errors[0].message).toMatch(/no rule by that name already exists/);
  });
  it('enabled: false alone disables an existing rule; a redefinition replaces in place', () => {
    const d = load(base, '- rule: Shell\n  enabled: false\n');
    expect(d.errors).toEqual([]);
    expect(d.warnings.map((w) => w.message)).toContain("an item with only 'enabled' is deprecated: use 'override: {enabled: replace}'");
    const o = load(base, '- rule: Shell\n  enabled: false\n  override:\n    enabled: replace\n');
    expect(o.errors).toEqual([]);
    expect(new RuleEngine(o.rules).rules).toHaveLength(0);
    const scalarItems = engineOf([base, '- list: shells\n  items: zsh\n  override:\n    items: append\n']);
    expect(matches(scalarItems, zsh)).toEqual(['Shell']);
    expect(new RuleEngine(d.rules).rules).toHaveLength(0);
    const order = engineOf([
      `${base}
- rule: Second
  desc: d
  condition: spawned
  output: o
  priority: INFO
`,
      `- rule: Shell
  desc: redefined
  condition: spawned and proc.name = bash
  output: o
  priority: NOTICE
`,
    ]);
    // The redefinition keeps the first position, so first-match still picks it before Second.
    expect(matches(order, bash)).toEqual(['Shell']);
    expect(order.rules.map((r) => r.name)).toEqual(['Shell', 'Second']);
  });
  it('all-match mode returns every matching rule in order', () => {
    const e = engineOf([`${base}\n- rule: Any exec\n  desc: d\n  condition: spawned\n  output: o\n  priority: INFO\n`], 'all');
    expect(matches(e, bash)).toEqual(['Shell', 'Any exec']);
  });
});

describe('loader semantics and diagnostics', () => {
  it('expands lists inside lists and uses earlier macros only', () => {
    const ok = load('- list: a\n  items: [x]\n- list: b\n  items: [a, y]\n- macro: m1\n  condition: proc.name in (b)\n- macro: m2\n  condition: m1 and evt.type = open\n' + ruleYaml('m2'));
    expect(ok.errors).toEqual([]);
    expect(matches(new RuleEngine(ok.rules), { 'evt.type': 'open', 'proc.name': 'x' })).toEqual(['R']);
    const bad = load('- macro: m2\n  condition: m1\n- macro: m1\n  condition: evt.type = open\n' + ruleYaml('m2'));
    expect(bad.errors.map((e) => e.message)).toContain("macro 'm1' is used before it is defined");
  });
  it('reports an undefined macro and an unknown field at the position in the condition', () => {
    const r = load(ruleYaml('evt.type = open and nope_macro'));
    expect(formatDiagnostic(r.errors[0])).toBe("a.yaml:3:35: error: rule R: undefined macro 'nope_macro' used in filter");
    const f = load('- rule: R\n  desc: d\n  condition: evt.type = open and proc.bogus = 1\n  output: o\n  priority: INFO\n');
    expect(formatDiagnostic(f.errors[0])).toBe("a.yaml:3:34: error: rule R: unknown field 'proc.bogus' for source syscall");
    const o = load('- rule: R\n  desc: d\n  condition: evt.type = open\n  output: "file %fd.name by %proc.nam3"\n  priority: INFO\n');
    expect(formatDiagnostic(o.errors[0])).toBe("a.yaml:4:29: error: rule R: invalid output field '%proc.nam3': unknown field for source syscall");
  });
  it('reports a problem inside a macro once, at the macro, whichever rules use it', () => {
    const r = load('- macro: m\n  condition: evt.type = open and proc.nope = 1\n' + ruleYaml('m') + ruleYaml('m and proc.name = x').replace('rule: R', 'rule: R2'));
    expect(r.errors.map(formatDiagnostic)).toEqual(["a.yaml:2:34: error: macro m: unknown field 'proc.nope' for source syscall"]);
    expect(r.rules).toEqual([]);
    const u = load('- macro: m\n  condition: evt.type = open and nope\n' + ruleYaml('m'));
    expect(u.errors.map(formatDiagnostic)).toEqual(["a.yaml:2:34: error: macro m: undefined macro 'nope' used in filter"]);
  });

  it('reports condition syntax errors with their position', () => {
    const r = load('- rule: R\n  desc: d\n  condition: evt.type = open and (proc.name = x\n  output: o\n  priority: INFO\n');
    expect(formatDiagnostic(r.errors[0])).toMatch(/^a\.yaml:3:\d+: error: rule R: expected '\)' at position \d+ of condition$/);
  });
  it('reports YAML syntax errors with line and column and still loads the other files', () => {
    const r = load('- rule: R\n  desc: [unclosed\n', ruleYaml('evt.type = open'));
    expect(r.errors[0].file).toBe('a.yaml');
    expect(r.errors[0].line).toBeGreaterThan(0);
    expect(r.errors[0].message).toMatch(/YAML syntax error/);
    expect(r.rules.map((x) => x.name)).toEqual(['R']);
  });
  it('rejects items that are not mappings and rules with missing keys, naming them', () => {
    const r = load('- just a string\n- rule: R\n  desc: d\n  condition: evt.type = open\n  priority: INFO\n');
    expect(r.errors.map(formatDiagnostic)).toEqual(['a.yaml:1:3: error: item is not a YAML mapping', "a.yaml:2:3: error: rule R: missing required key 'output'"]);
  });
  it('accepts every priority name case-insensitively and rejects others', () => {
    for (const p of ['EMERGENCY', 'alert', 'Critical', 'error', 'WARNING', 'notice', 'INFO', 'informational', 'Debug']) {
      expect(load(ruleYaml('evt.type = open').replace('WARNING', p)).errors).toEqual([]);
    }
    expect(load(ruleYaml('evt.type = open').replace('WARNING', 'loud')).errors[0].message).toMatch(/invalid priority 'loud'/);
  });
  it('checks required_engine_version in both forms and accepts required_plugin_versions with an info', () => {
    expect(load('- required_engine_version: 0.26.0\n').errors).toEqual([]);
    expect(load('- required_engine_version: 2\n').errors).toEqual([]);
    expect(load('- required_engine_version: 99.0.0\n').errors[0].message).toMatch(/rules require engine version 99\.0\.0/);
    expect(load('- required_engine_version: 999\n').errors[0].message).toMatch(/0\.999\.0/);
    // Compared as versions, not as text: 0.100.0 is newer than 0.57.0, 0.9.0 older.
    expect(load('- required_engine_version: 0.100.0\n').errors[0].message).toMatch(/rules require engine version 0\.100\.0/);
    expect(load('- required_engine_version: 0.9.0\n').errors).toEqual([]);
    expect(load('- required_engine_version: 0.26.0-rc1\n').errors[0].message).toMatch(/must be a semver string or an integer, got "0\.26\.0-rc1"/);
    expect(load('- required_engine_version: [1]\n').errors[0].message).toMatch(/must be a semver string or an integer/);
    const p = load('- required_plugin_versions:\n    - name: k8saudit\n      version: 0.1.0\n');
    expect(p.errors).toEqual([]);
    expect(p.infos[0].message).toMatch(/accepted and ignored/);
  });
  it('skip-if-unknown-filter turns an unknown field into a warning; unknown sources are skipped', () => {
    const r = load(ruleYaml('evt.type = open and proc.bogus = 1', '  skip-if-unknown-filter: true\n'));
    expect(r.errors).toEqual([]);
    expect(r.warnings[0].message).toMatch(/rule skipped \(skip-if-unknown-filter\)/);
    const s = load(ruleYaml('evt.type = open', '  source: aws_cloudtrail\n'));
    expect(s.errors).toEqual([]);
    expect(s.warnings[0].message).toMatch(/unknown source 'aws_cloudtrail'/);
  });
  it('warns about unused macros and lists and about rules without evt.type', () => {
    const r = load('- list: unused_list\n  items: [a]\n- macro: unused_macro\n  condition: proc.name = a\n' + ruleYaml('proc.name = a'));
    expect(r.warnings.map((w) => w.item)).toEqual(expect.arrayContaining(['list unused_list', 'macro unused_macro', 'rule R']));
  });
  it('indexes rules by evt.type, including negations', () => {
    const r = load(
      ruleYaml('evt.type in (open, openat) and proc.name = a').replace('rule: R', 'rule: A'),
      ruleYaml('not evt.type = open and proc.name = a').replace('rule: R', 'rule: B'),
      ruleYaml('(evt.type = execve or evt.type = connect) and not evt.type = connect').replace('rule: R', 'rule: C'),
    );
    const engine = new RuleEngine(r.rules);
    expect(engine.candidates('syscall', 'open').map((x) => x.name)).toEqual(['A']);
    expect(engine.candidates('syscall', 'openat').map((x) => x.name)).toEqual(['A', 'B']);
    expect(engine.candidates('syscall', 'execve').map((x) => x.name)).toEqual(['B', 'C']);
    expect(engine.candidates('syscall', 'connect').map((x) => x.name)).toEqual(['B']);
    expect(engine.candidates('syscall', 'mmap').map((x) => x.name)).toEqual(['B']);
  });
});

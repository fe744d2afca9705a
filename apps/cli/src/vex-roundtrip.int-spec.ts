import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { graphql, graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { describeWithShared } from '@bulkhead/testing';
import { PackageURL } from 'packageurl-js';
import { runCli } from './main';

/*
 * Suppress with a reason and an expiry, as a VEX statement (issue 16), end to end: the API and a
 * worker in this process (as `bulkhead serve` runs them) scan an image holding lodash 4.17.11
 * with the shared GHSA advisories; an operator suppresses one vulnerability with a reason, an
 * OpenVEX justification and an expiry; the finding stays suppressed across a rescan; the
 * image's OpenVEX document (vexDocument) is fed to `bulkhead scan --vex FILE` over the same
 * image, inline, which leaves that vulnerability out. Roles, teams, bad input, the audit log and
 * the expiry (a short one, reopened by the API's sweeper with counters exact) are checked too.
 */
jest.setTimeout(240_000);

interface TaskView {
  status: string;
  error: string | null;
}
interface Suppression {
  reason: string | null;
  justification: string | null;
  expiresAt: string | null;
  suppressedBy: string | null;
  suppressedAt: string | null;
}
interface FindingView {
  id: string;
  ruleId: string;
  status: string;
  target: string;
  data: { aliases: string[]; package: { name: string; purl: string } };
  suppression: Suppression | null;
}
interface ReportView {
  findings: { kind: string; id: string; aliases?: string[] }[];
  suppressed?: { id: string; suppression: { by: string; status?: string; justification?: string; statement?: string } }[];
}
const FINDING = 'id ruleId status target data suppression { reason justification expiresAt suppressedBy suppressedAt }';
const SUPPRESS = 'mutation($id: ID!, $r: String, $j: VexJustification, $e: DateTime) { suppressFinding(id: $id, reason: $r, justification: $j, expiresAt: $e) { ' + FINDING + ' } }';
const codes = (result: { errors?: readonly { extensions?: Record<string, unknown> }[] }) => (result.errors ?? []).map((e) => e.extensions?.['code']);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(['node', 'bulkhead', ...args], { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describeWithShared('suppression with a reason and an expiry, exported as OpenVEX and read back by bulkhead scan --vex', (shared) => {
  let platform: TestPlatform;
  let url: string;
  let work: string;
  let cacheDir: string;
  let layout: string;
  let operator: { id: string; secret: string };
  let viewer: string;
  let blue: string;
  let imageId: string;
  const osv = path.join(shared, 'vulndata', 'ghsa-npm', 'osv');

  async function waitForTask(id: string): Promise<TaskView> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { task } = await graphqlData<{ task: TaskView }>(url, 'query($id: ID!) { task(id: $id) { status error } }', { id });
      if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
      if (Date.now() > deadline) throw new Error(`task ${id} still ${task.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async function scanOnServer(): Promise<void> {
    const { scanImage } = await graphqlData<{ scanImage: { id: string } }>(url, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${layout}:app` });
    expect(await waitForTask(scanImage.id)).toEqual({ status: 'SUCCEEDED', error: null });
  }

  async function vulnerabilities(status: string): Promise<FindingView[]> {
    const { findings } = await graphqlData<{ findings: { edges: { node: FindingView }[] } }>(url, `query($f: FindingFilter) { findings(first: 100, filter: $f) { edges { node { ${FINDING} } } } }`, { f: { kind: 'SCANNER', status, target: imageId } });
    return findings.edges.map((e) => e.node).filter((f) => (f.data as unknown as { findingType?: string }).findingType === 'vulnerability');
  }

  /** findingCounts per status (the counters) must equal findings' totalCount per status (the rows). */
  async function expectCountsExact(): Promise<Record<string, number>> {
    const { findingCounts } = await graphqlData<{ findingCounts: { edges: { node: { key: string; count: number } }[] } }>(url, '{ findingCounts(groupBy: STATUS) { edges { node { key count } } } }');
    const counted = Object.fromEntries(findingCounts.edges.map((e) => [e.node.key, e.node.count]));
    for (const status of ['OPEN', 'SUPPRESSED', 'RESOLVED']) {
      const { findings } = await graphqlData<{ findings: { totalCount: number } }>(url, 'query($s: FindingStatus) { findings(first: 1, filter: { status: $s }) { totalCount } }', { s: status });
      const rows: { n: number }[] = await platform.db.dataSource.query(`SELECT count(*)::int AS n FROM finding WHERE team = 'default' AND status = $1`, [status]);
      expect({ status, counted: counted[status] ?? 0 }).toEqual({ status, counted: rows[0]?.n ?? 0 });
      expect(findings.totalCount).toBe(rows[0]?.n ?? 0);
    }
    return counted;
  }

  async function inlineScan(...extra: string[]): Promise<ReportView> {
    const result = await cli('scan', `oci:${layout}:app`, '--format', 'json', '--scanners', 'vuln', '--cache-dir', cacheDir, ...extra);
    expect({ code: result.code, err: result.err }).toEqual({ code: 0, err: '' });
    return JSON.parse(result.out) as ReportView;
  }

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'bh-vex-'));
    cacheDir = path.join(work, 'cache');
    expect(await cli('db', 'import', osv, '--cache-dir', cacheDir)).toMatchObject({ code: 0 });
    layout = path.join(work, 'layout');
    const base = { name: 'etc/os-release', content: 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' };
    const lodash = { name: 'app/node_modules/lodash/package.json', content: JSON.stringify({ name: 'lodash', version: '4.17.11', license: 'MIT' }) };
    const { testImageBuilder } = await import('@bulkhead/oci/testing');
    await testImageBuilder.writeOciLayout(layout, [{ ref: 'app', layers: [{ entries: [base, lodash] }] }]);
    const packages = builtinPluginPackages().filter((pkg) => pkg.plugin.manifest.kind === 'scanner');
    platform = await startTestPlatform({ label: 'cli_vex', registry: registryOf(packages), plugins: packages, kinds: ['scanner'] });
    url = platform.api.url;
    operator = await platform.createToken('operator');
    await platform.db.dataSource.query(`UPDATE api_token SET name = 'release-bot' WHERE id = $1`, [operator.id]);
    viewer = (await platform.createToken('viewer')).secret;
    blue = (await platform.createToken('operator', 'blue')).secret;
    const { importAdvisories } = await graphqlData<{ importAdvisories: { id: string } }>(url, 'mutation($p: [String!]!) { importAdvisories(paths: $p) { id } }', { p: [osv] });
    expect(await waitForTask(importAdvisories.id)).toMatchObject({ status: 'SUCCEEDED' });
    const { scanImage } = await graphqlData<{ scanImage: { id: string } }>(url, 'mutation($s: String!) { scanImage(source: $s) { id } }', { s: `oci:${layout}:app` });
    expect(await waitForTask(scanImage.id)).toEqual({ status: 'SUCCEEDED', error: null });
    const { findings } = await graphqlData<{ findings: { edges: { node: { target: string } }[] } }>(url, '{ findings(first: 1, filter: { kind: SCANNER }) { edges { node { target } } } }');
    imageId = findings.edges[0]?.node.target ?? '';
    expect(imageId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  afterAll(async () => {
    await platform?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('suppresses with reason, justification and expiry; a rescan keeps it; the OpenVEX document makes bulkhead scan --vex leave it out', async () => {
    const open = await vulnerabilities('OPEN');
    expect(open.length).toBeGreaterThan(1);
    const target = open.find((f) => f.ruleId === 'CVE-2019-10744' || f.data.aliases.includes('CVE-2019-10744'));
    if (!target) throw new Error(`no CVE-2019-10744 among ${open.map((f) => f.ruleId).join(', ')}`);
    const countsBefore = await expectCountsExact();

    const expiresAt = new Date(Date.now() + 90 * 86_400_000).toISOString();
    const reason = 'defaultsDeep is never called with untrusted input';
    const suppressed = await graphql<{ suppressFinding: FindingView }>(url, SUPPRESS, { id: target.id, r: reason, j: 'VULNERABLE_CODE_NOT_IN_EXECUTE_PATH', e: expiresAt }, { token: operator.secret });
    expect(suppressed.errors).toBeUndefined();
    expect(suppressed.data?.suppressFinding).toMatchObject({ status: 'SUPPRESSED', suppression: { reason, justification: 'VULNERABLE_CODE_NOT_IN_EXECUTE_PATH', expiresAt, suppressedBy: 'release-bot' } });
    // It left the open count, into the suppressed one; the counters are exact.
    const countsAfter = await expectCountsExact();
    expect(countsAfter['OPEN']).toBe((countsBefore['OPEN'] ?? 0) - 1);
    expect(countsAfter['SUPPRESSED']).toBe((countsBefore['SUPPRESSED'] ?? 0) + 1);

    // A rescan reports it again: still suppressed, with its suppression.
    await scanOnServer();
    const [kept] = (await vulnerabilities('SUPPRESSED')).filter((f) => f.id === target.id);
    expect(kept?.suppression).toEqual(suppressed.data?.suppressFinding.suppression);

    // The image's OpenVEX document (a viewer may read it).
    const vex = await graphql<{ vexDocument: Record<string, unknown> & { statements: Record<string, unknown>[] } }>(url, 'query($i: ID!) { vexDocument(imageId: $i) }', { i: imageId }, { token: viewer });
    expect(vex.errors).toBeUndefined();
    const document = vex.data?.vexDocument;
    expect(document).toMatchObject({ '@context': 'https://openvex.dev/ns/v0.2.0', '@id': expect.stringMatching(/^urn:bulkhead:vex:[0-9a-f]{64}$/), author: 'Bulkhead (team default)', version: 1 });
    expect(document?.statements).toHaveLength(1);
    const statement = document?.statements[0] as { vulnerability: { name: string; aliases?: string[] }; products: { '@id': string; subcomponents: { '@id': string }[] }[]; status: string; justification: string; impact_statement: string; status_notes: string; timestamp: string };
    expect(statement.vulnerability.name).toBe('CVE-2019-10744');
    expect(statement).toMatchObject({ status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', impact_statement: reason, timestamp: kept?.suppression?.suppressedAt });
    expect(statement.status_notes).toBe(`Suppressed in Bulkhead by release-bot until ${expiresAt}.`);
    expect(statement.products[0]?.subcomponents).toEqual([{ '@id': target.data.package.purl }]);
    const product = PackageURL.fromString(statement.products[0]?.['@id'] ?? '');
    expect([product.type, product.version]).toEqual(['oci', expect.stringMatching(/^sha256:[0-9a-f]{64}$/)]);

    // Round trip: bulkhead scan --vex over the same image leaves that vulnerability out, and only that.
    const file = path.join(work, 'image.openvex.json');
    writeFileSync(file, JSON.stringify(document));
    const ids = (report: ReportView) => report.findings.filter((f) => f.kind === 'vulnerability').map((f) => f.id).sort();
    const plain = await inlineScan();
    const filtered = await inlineScan('--vex', file, '--show-suppressed');
    const targetIds = [target.ruleId, ...target.data.aliases];
    expect(ids(plain).filter((id) => targetIds.includes(id))).toHaveLength(1);
    expect(ids(filtered)).toEqual(ids(plain).filter((id) => !targetIds.includes(id)));
    expect(filtered.suppressed?.map((f) => [f.suppression.by, f.suppression.status, f.suppression.justification, f.suppression.statement])).toEqual([['vex', 'not_affected', 'vulnerable_code_not_in_execute_path', reason]]);

    // The audit log has the suppression and its reason; reopening clears it and empties the document.
    const reopened = await graphql<{ unsuppressFinding: FindingView }>(url, `mutation($id: ID!) { unsuppressFinding(id: $id) { ${FINDING} } }`, { id: target.id }, { token: operator.secret });
    expect(reopened.data?.unsuppressFinding).toMatchObject({ status: 'OPEN', suppression: null });
    expect(await expectCountsExact()).toEqual(countsBefore);
    const { auditLog } = await graphqlData<{ auditLog: { edges: { node: { operation: string; tokenName: string | null; outcome: string; details: { variables?: Record<string, unknown> } } }[] } }>(url, '{ auditLog(first: 20) { edges { node { operation tokenName outcome details } } } }');
    const entries = auditLog.edges.map((e) => e.node).filter((e) => /suppressFinding|unsuppressFinding/.test(e.operation));
    expect(entries.map((e) => [e.operation, e.tokenName, e.outcome])).toEqual([
      ['mutation unsuppressFinding', 'release-bot', 'ok'],
      ['mutation suppressFinding', 'release-bot', 'ok'],
    ]);
    expect(entries[1]?.details.variables).toMatchObject({ id: target.id, r: reason, j: 'VULNERABLE_CODE_NOT_IN_EXECUTE_PATH', e: expiresAt });
    const empty = await graphqlData<{ vexDocument: { statements: unknown[] } }>(url, 'query($i: ID!) { vexDocument(imageId: $i) }', { i: imageId });
    expect(empty.vexDocument.statements).toEqual([]);
  });

  it('refuses viewers, other teams and bad input with clear errors, and changes nothing', async () => {
    const [finding] = await vulnerabilities('OPEN');
    if (!finding) throw new Error('no open vulnerability');
    const soon = new Date(Date.now() + 86_400_000).toISOString();
    const forbidden = await graphql(url, SUPPRESS, { id: finding.id, r: 'viewer says so' }, { token: viewer });
    expect(codes(forbidden)).toEqual(['FORBIDDEN']);
    // Team blue: the finding and the image do not exist.
    const otherTeam = await graphql(url, SUPPRESS, { id: finding.id, r: 'not ours' }, { token: blue });
    expect(codes(otherTeam)).toEqual(['NOT_FOUND']);
    expect(codes(await graphql(url, `mutation($id: ID!) { unsuppressFinding(id: $id) { id } }`, { id: finding.id }, { token: blue }))).toEqual(['NOT_FOUND']);
    expect(codes(await graphql(url, 'query($i: ID!) { vexDocument(imageId: $i) }', { i: imageId }, { token: blue }))).toEqual(['NOT_FOUND']);
    // Bad input, each named.
    const bad = async (variables: Record<string, unknown>) => {
      const result = await graphql(url, SUPPRESS, { id: finding.id, ...variables }, { token: operator.secret });
      return [codes(result)[0], result.errors?.[0]?.message];
    };
    expect(await bad({ r: 'x'.repeat(1001), e: soon })).toEqual(['BAD_USER_INPUT', 'reason: 1001 characters, at most 1000']);
    expect(await bad({ r: 'late', e: new Date(Date.now() - 60_000).toISOString() })).toEqual(['BAD_USER_INPUT', expect.stringMatching(/^expiresAt: .* is not in the future$/)]);
    expect(await bad({ r: 'too far', e: new Date(Date.now() + 400 * 86_400_000).toISOString() })).toEqual(['BAD_USER_INPUT', expect.stringMatching(/^expiresAt: .* is more than 365 days ahead/)]);
    expect(await bad({ r: 'why', j: 'BECAUSE' })).toEqual(['BAD_USER_INPUT', expect.stringMatching(/Value "BECAUSE" does not exist in "VexJustification" enum/)]);
    expect(await bad({ r: 'when', e: 'next tuesday' })).toEqual(['BAD_USER_INPUT', 'expiresAt: not a date']);
    expect(codes(await graphql(url, 'query($i: ID!) { vexDocument(imageId: $i) }', { i: 'latest; DROP TABLE finding' }))).toEqual(['BAD_USER_INPUT']);
    expect(codes(await graphql(url, 'query($i: ID!) { vexDocument(imageId: $i) }', { i: `sha256:${'0'.repeat(64)}` }))).toEqual(['NOT_FOUND']);
    const [after] = (await vulnerabilities('OPEN')).filter((f) => f.id === finding.id);
    expect(after).toMatchObject({ status: 'OPEN', suppression: null });
    // The older call shape still works (no reason recorded); its VEX statement says so.
    const legacy = await graphql<{ suppressFinding: FindingView }>(url, `mutation($id: ID!) { suppressFinding(id: $id) { ${FINDING} } }`, { id: finding.id }, { token: operator.secret });
    expect(legacy.data?.suppressFinding).toMatchObject({ status: 'SUPPRESSED', suppression: { reason: null, justification: null, expiresAt: null, suppressedBy: 'release-bot' } });
    const { vexDocument } = await graphqlData<{ vexDocument: { statements: { impact_statement: string; justification?: string }[] } }>(url, 'query($i: ID!) { vexDocument(imageId: $i) }', { i: imageId });
    expect(vexDocument.statements).toEqual([expect.objectContaining({ impact_statement: 'Suppressed without a stated reason' })]);
    expect(vexDocument.statements[0]?.justification).toBeUndefined();
    await graphqlData(url, `mutation($id: ID!) { unsuppressFinding(id: $id) { id } }`, { id: finding.id });
  });

  it('a suppression whose expiry passes is OPEN again (the API sweeper), counters exact, with an audit entry', async () => {
    const [finding] = await vulnerabilities('OPEN');
    if (!finding) throw new Error('no open vulnerability');
    const before = await expectCountsExact();
    const expiresAt = new Date(Date.now() + 2000).toISOString();
    const suppressed = await graphql<{ suppressFinding: FindingView }>(url, SUPPRESS, { id: finding.id, r: 'until the patch lands', e: expiresAt }, { token: operator.secret });
    expect(suppressed.data?.suppressFinding.status).toBe('SUPPRESSED');
    expect((await expectCountsExact())['SUPPRESSED']).toBe((before['SUPPRESSED'] ?? 0) + 1);
    const deadline = Date.now() + 20_000;
    let status = 'SUPPRESSED';
    while (status === 'SUPPRESSED' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { findings } = await graphqlData<{ findings: { edges: { node: FindingView }[] } }>(url, `query($f: FindingFilter) { findings(first: 100, filter: $f) { edges { node { ${FINDING} } } } }`, { f: { target: imageId } });
      const node = findings.edges.find((e) => e.node.id === finding.id)?.node;
      status = node?.status ?? 'missing';
      if (status === 'OPEN') expect(node?.suppression).toBeNull();
    }
    expect(status).toBe('OPEN');
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect(await expectCountsExact()).toEqual(before);
    const { auditLog } = await graphqlData<{ auditLog: { edges: { node: { operation: string; tokenName: string | null; details: { findings: { id: string }[] } } }[] } }>(url, '{ auditLog(first: 5) { edges { node { operation tokenName details } } } }');
    const expired = auditLog.edges.map((e) => e.node).find((e) => e.operation === 'suppression expired');
    expect(expired).toMatchObject({ tokenName: null, details: { count: 1, findings: [expect.objectContaining({ id: finding.id })] } });
  });
});

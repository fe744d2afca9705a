import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import addFormats from 'ajv-formats';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describeWithShared } from '@bulkhead/testing';
import { formatCycloneDx } from './cyclonedx';
import { formatSarif } from './sarif';
import { buildSpdxDocument } from './spdx';
import { formatScanTable } from './table';
import { ARTIFACT, fixtureReport } from './testing/report-fixture';

const TOOL = { version: '9.9.9' };
const NO_DATA = { status: 'no-advisory-data', database: '/cache/vulndb/advisories.sqlite', message: 'no advisory database at /cache/vulndb/advisories.sqlite — run `bulkhead db import` or `bulkhead db update`' } as const;

describe('json report', () => {
  it('keeps the report shape and fills findings with ReportFindings, vulnerabilities then secrets', () => {
    const report = fixtureReport();
    expect(Object.keys(report)).toEqual(['schemaVersion', 'artifact', 'packages', 'findings', 'vulnerabilityScan', 'secretScan', 'summary']);
    expect(report.findings.map((f) => `${f.kind}:${f.id}`)).toEqual(['vulnerability:CVE-2010-0928', 'vulnerability:CVE-2023-5678', 'vulnerability:CVE-2020-8203', 'secret:aws-access-key-id']);
    expect(report.findings[1]).toEqual({
      kind: 'vulnerability',
      id: 'CVE-2023-5678',
      aliases: ['DSA-5585-1'],
      severity: 'MEDIUM',
      title: 'openssl: excessive time spent in DH check',
      package: 'libssl3',
      purl: 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
      installedVersion: '3.0.11-1~deb12u2',
      fixedVersion: '3.0.13-1~deb12u1',
      status: 'fixed',
      location: { layer: ARTIFACT.layers[0]?.diffId, path: 'var/lib/dpkg/status' },
    });
    expect(report.findings[3]).toEqual({ kind: 'secret', id: 'aws-access-key-id', severity: 'CRITICAL', title: 'AWS Access Key ID', location: { layer: ARTIFACT.layers[0]?.diffId, path: 'app/.env', line: 3 } });
    expect(report.summary.vulnerabilities).toEqual({ CRITICAL: 0, HIGH: 1, MEDIUM: 1, LOW: 1, INFO: 0, UNKNOWN: 0 });
    expect(report.summary.secrets.CRITICAL).toBe(1);
  });

  it('states a missing advisory database next to the empty findings', () => {
    const report = fixtureReport(NO_DATA);
    expect(JSON.parse(JSON.stringify(report)).vulnerabilityScan).toEqual(NO_DATA);
  });
});

describe('table report', () => {
  it('shows counts by severity, the vulnerability table and the secrets', () => {
    const table = formatScanTable(fixtureReport());
    expect(table).toMatch(/Vulnerabilities +3 \(HIGH: 1, MEDIUM: 1, LOW: 1\)/);
    expect(table).toMatch(/Secrets +1 \(CRITICAL: 1\)/);
    expect(table).toMatch(/PACKAGE +ID +SEVERITY +STATUS +INSTALLED +FIXED +TITLE/);
    expect(table).toMatch(/libssl3 +CVE-2023-5678 +MEDIUM +fixed +3\.0\.11-1~deb12u2 +3\.0\.13-1~deb12u1 +openssl: excessive time spent in DH check/);
    expect(table).toMatch(/libssl3 +CVE-2010-0928 +LOW +will_not_fix +3\.0\.11-1~deb12u2 +openssl: RSA/);
    expect(table).toMatch(/CRITICAL +aws-access-key-id +app\/\.env:3 +444444444444 +AWS Access Key ID/);
    // vulnerabilities come before secrets
    expect(table.indexOf('CVE-2020-8203')).toBeLessThan(table.indexOf('aws-access-key-id'));
  });

  it('says plainly that vulnerabilities were not checked without advisory data', () => {
    const table = formatScanTable(fixtureReport(NO_DATA));
    expect(table).toContain('Vulnerabilities: not checked: no advisory database at /cache/vulndb/advisories.sqlite — run `bulkhead db import` or `bulkhead db update`');
  });

  it('keeps terminal control characters from the image out of the output', () => {
    const report = fixtureReport();
    report.findings[0] = { ...report.findings[0], title: 'evil\u001b[2Jtitle' } as (typeof report.findings)[number];
    expect(formatScanTable(report)).not.toContain('\u001b');
  });
});

describe('sarif report', () => {
  const sarif = formatSarif(fixtureReport(), TOOL);
  const run = sarif.runs[0];

  it('has one rule per advisory or secret rule and one result per finding, levels by severity', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(run?.tool.driver.rules?.map((r) => r.id)).toEqual(['CVE-2010-0928', 'CVE-2023-5678', 'CVE-2020-8203', 'aws-access-key-id']);
    expect(run?.results?.map((r) => [r.ruleId, r.ruleIndex, r.level])).toEqual([
      ['CVE-2010-0928', 0, 'note'],
      ['CVE-2023-5678', 1, 'warning'],
      ['CVE-2020-8203', 2, 'error'],
      ['aws-access-key-id', 3, 'error'],
    ]);
    const secret = run?.results?.[3]?.locations?.[0]?.physicalLocation;
    expect(secret).toEqual({ artifactLocation: { uri: 'app/.env', uriBaseId: 'ROOTPATH' }, region: { startLine: 3, startColumn: 1, endLine: 3, endColumn: 1 } });
    expect(run?.results?.[2]?.locations?.[0]?.physicalLocation?.artifactLocation).toEqual({ uri: 'app/package-lock.json', uriBaseId: 'ROOTPATH' });
    expect(run?.originalUriBaseIds?.['ROOTPATH']?.uri).toBe('file:///');
    expect(run?.tool.driver.rules?.[2]?.properties?.['security-severity']).toBe('8.0');
  });

  it('says in the run when vulnerabilities could not be checked', () => {
    const unchecked = formatSarif(fixtureReport(NO_DATA), TOOL).runs[0];
    expect(unchecked?.invocations?.[0]?.executionSuccessful).toBe(false);
    expect(unchecked?.invocations?.[0]?.toolExecutionNotifications?.[0]?.message.text).toContain('no advisory database at');
  });

  /** Every key path of a JSON value (array items merged), for comparing structures. */
  function keyPaths(value: unknown, prefix = ''): Set<string> {
    const out = new Set<string>();
    const visit = (v: unknown, p: string): void => {
      if (Array.isArray(v)) v.forEach((item) => visit(item, `${p}[]`));
      else if (v && typeof v === 'object') {
        for (const [k, child] of Object.entries(v)) {
          // rule-specific property bags (cvss fields) are free-form
          if (p.endsWith('properties') && !['precision', 'security-severity', 'tags'].includes(k)) continue;
          out.add(`${p}.${k}`);
          visit(child, `${p}.${k}`);
        }
      }
    };
    visit(value, prefix);
    return out;
  }

  describeWithShared('against Trivy\'s golden SARIF', (shared) => {
    it('has every structural element Trivy writes for image vulnerabilities', () => {
      const golden = JSON.parse(readFileSync(path.join(shared, 'peers/trivy/integration/testdata/alpine-310.sarif.golden'), 'utf8')) as unknown;
      const ours = keyPaths(JSON.parse(JSON.stringify(sarif)));
      // Left out: Trivy's image facts under run.properties (ours are named differently), and
      // driver.informationUri (optional in SARIF; Bulkhead has no public home page to name).
      const theirs = [...keyPaths(golden)].filter((k) => !k.startsWith('.runs[].properties.') && k !== '.runs[].tool.driver.informationUri');
      expect(theirs.filter((k) => !ours.has(k))).toEqual([]);
    });
  });

  it('validates against the SARIF 2.1.0 constraints on what it uses', () => {
    // The parts of the OASIS SARIF 2.1.0 schema (sarif-schema-2.1.0.json) our output touches:
    // required properties, enums and the types of the fields we write.
    const message = { type: 'object', required: ['text'], properties: { text: { type: 'string' } } };
    const level = { enum: ['none', 'note', 'warning', 'error'] };
    const schema = {
      type: 'object',
      required: ['version', 'runs'],
      properties: {
        version: { const: '2.1.0' },
        $schema: { type: 'string', format: 'uri' },
        runs: {
          type: 'array',
          items: {
            type: 'object',
            required: ['tool'],
            properties: {
              tool: {
                type: 'object',
                required: ['driver'],
                properties: {
                  driver: {
                    type: 'object',
                    required: ['name'],
                    properties: {
                      name: { type: 'string' },
                      version: { type: 'string' },
                      rules: {
                        type: 'array',
                        items: {
                          type: 'object',
                          required: ['id'],
                          properties: { id: { type: 'string' }, shortDescription: message, fullDescription: message, help: message, defaultConfiguration: { type: 'object', properties: { level } }, helpUri: { type: 'string', format: 'uri' } },
                        },
                      },
                    },
                  },
                },
              },
              columnKind: { enum: ['utf16CodeUnits', 'unicodeCodePoints'] },
              originalUriBaseIds: { type: 'object', additionalProperties: { type: 'object', properties: { uri: { type: 'string', format: 'uri-reference' } } } },
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['message'],
                  properties: {
                    ruleId: { type: 'string' },
                    ruleIndex: { type: 'integer', minimum: -1 },
                    level,
                    message,
                    locations: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          physicalLocation: {
                            type: 'object',
                            properties: {
                              artifactLocation: { type: 'object', properties: { uri: { type: 'string', format: 'uri-reference' }, uriBaseId: { type: 'string' } } },
                              region: { type: 'object', properties: { startLine: { type: 'integer', minimum: 1 }, startColumn: { type: 'integer', minimum: 1 }, endLine: { type: 'integer', minimum: 1 }, endColumn: { type: 'integer', minimum: 1 } } },
                            },
                          },
                          message,
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    };
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    // uri / uri-reference as RFC 3986 (ajv-formats), as the SARIF schema's formats demand
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(JSON.parse(JSON.stringify(sarif))) ? [] : validate.errors).toEqual([]);
    expect(validate(JSON.parse(JSON.stringify({ ...sarif, version: '2.0.0' })))).toBe(false);
  });
});

describe('cyclonedx report', () => {
  it('is valid CycloneDX 1.6 (the library\'s strict JSON schema validator), with components and vulnerabilities', async () => {
    const json = formatCycloneDx(fixtureReport(), TOOL, new Date('2026-12-07T00:00:00Z'));
    const validator = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
    expect(await validator.validate(json)).toBeNull();
    const bom = JSON.parse(json) as {
      specVersion: string;
      metadata: { component: { type: string; 'bom-ref': string } };
      components: { 'bom-ref': string; purl?: string; type: string; properties?: { name: string; value: string }[] }[];
      vulnerabilities: { id: string; affects: { ref: string; versions: { version: string; status: string }[] }[]; ratings: { severity: string }[]; references?: { id: string }[]; recommendation?: string }[];
    };
    expect(bom.specVersion).toBe('1.6');
    expect(bom.metadata.component).toMatchObject({ type: 'container', 'bom-ref': ARTIFACT.digest });
    expect(bom.components.filter((c) => c.purl).map((c) => c.purl).sort()).toEqual([
      'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12',
      'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12',
      'pkg:npm/lodash@4.17.15',
    ]);
    const lodash = bom.vulnerabilities.find((v) => v.id === 'CVE-2020-8203');
    expect(lodash).toMatchObject({ affects: [{ ref: 'pkg:npm/lodash@4.17.15', versions: [{ version: '4.17.15', status: 'affected' }] }], ratings: [{ severity: 'high' }], references: [{ id: 'GHSA-p6mc-m468-83gw' }] });
    expect(lodash?.recommendation).toContain('4.17.19');
    const libssl = bom.components.find((c) => c.purl?.startsWith('pkg:deb/debian/libssl3'));
    expect(libssl?.properties).toEqual(expect.arrayContaining([{ name: 'bulkhead:package:sourceName', value: 'openssl' }]));
  });

  it('writes suppressed findings as vulnerabilities with an analysis (a VEX)', async () => {
    const report = fixtureReport();
    const [first] = report.findings;
    report.suppressed = [{ ...(first as NonNullable<typeof first>), suppression: { by: 'vex', source: 'vex.json', status: 'not_affected', justification: 'vulnerable_code_not_in_execute_path', statement: 'DH is not used' } }];
    const json = formatCycloneDx(report, TOOL);
    expect(await new Validation.JsonStrictValidator(Spec.Version.v1dot6).validate(json)).toBeNull();
    const suppressed = (JSON.parse(json) as { vulnerabilities: { id: string; analysis?: { state: string; justification?: string; detail?: string } }[] }).vulnerabilities.filter((v) => v.analysis);
    expect(suppressed).toEqual([expect.objectContaining({ id: 'CVE-2010-0928', analysis: { state: 'not_affected', justification: 'code_not_reachable', detail: 'VEX vex.json: DH is not used' } })]);
  });
});

describe('spdx report', () => {
  // The SPDX 2.3 JSON schema (spdx/spdx-spec schemas/spdx-schema.json) for the fields we write:
  // its required fields, its patterns (SPDXID, dates in UTC without fractions), its enums, and no
  // property it does not define (additionalProperties false, as the schema says).
  const date = { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T(([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]|23:59:60)Z$' };
  const schema = {
    type: 'object',
    required: ['SPDXID', 'creationInfo', 'dataLicense', 'name', 'spdxVersion'],
    properties: {
      SPDXID: { type: 'string' },
      spdxVersion: { const: 'SPDX-2.3' },
      dataLicense: { const: 'CC0-1.0' },
      name: { type: 'string' },
      comment: { type: 'string' },
      documentNamespace: { type: 'string', format: 'uri' },
      creationInfo: { type: 'object', required: ['created', 'creators'], additionalProperties: false, properties: { created: date, creators: { type: 'array', minItems: 1, items: { type: 'string' } }, comment: { type: 'string' }, licenseListVersion: { type: 'string' } } },
      packages: {
        type: 'array',
        items: {
          type: 'object',
          required: ['SPDXID', 'downloadLocation', 'name'],
          additionalProperties: false,
          properties: {
            SPDXID: { type: 'string', pattern: '^SPDXRef-[a-zA-Z0-9.-]+$' },
            name: { type: 'string' },
            versionInfo: { type: 'string' },
            downloadLocation: { type: 'string' },
            filesAnalyzed: { type: 'boolean' },
            licenseConcluded: { type: 'string' },
            licenseDeclared: { type: 'string' },
            copyrightText: { type: 'string' },
            sourceInfo: { type: 'string' },
            comment: { type: 'string' },
            primaryPackagePurpose: { enum: ['OTHER', 'INSTALL', 'ARCHIVE', 'FIRMWARE', 'APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'SOURCE', 'DEVICE', 'OPERATING-SYSTEM', 'FILE'] },
            externalRefs: {
              type: 'array',
              items: {
                type: 'object',
                required: ['referenceCategory', 'referenceLocator', 'referenceType'],
                additionalProperties: false,
                properties: {
                  referenceCategory: { enum: ['OTHER', 'PERSISTENT-ID', 'SECURITY', 'PACKAGE-MANAGER', 'PACKAGE_MANAGER', 'PERSISTENT_ID'] },
                  referenceLocator: { type: 'string' },
                  referenceType: { type: 'string' },
                  comment: { type: 'string' },
                },
              },
            },
          },
        },
      },
      relationships: {
        type: 'array',
        items: {
          type: 'object',
          required: ['spdxElementId', 'relatedSpdxElement', 'relationshipType'],
          additionalProperties: false,
          properties: { spdxElementId: { type: 'string' }, relatedSpdxElement: { type: 'string' }, relationshipType: { enum: ['DESCRIBES', 'CONTAINS', 'DEPENDS_ON', 'OTHER'] }, comment: { type: 'string' } },
        },
      },
    },
    additionalProperties: false,
  };

  it('is valid SPDX 2.3 JSON: the image described, packages contained, purls and advisories as external refs', () => {
    const doc = buildSpdxDocument(fixtureReport(), TOOL, new Date('2026-12-07T01:02:03.456Z'), 'fixed-id');
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    expect(validate(doc) ? [] : validate.errors).toEqual([]);
    expect(doc.creationInfo.created).toBe('2026-12-07T01:02:03Z');
    const ids = doc.packages.map((p) => p.SPDXID);
    expect(new Set(ids).size).toBe(ids.length);
    const image = doc.packages.find((p) => p.primaryPackagePurpose === 'CONTAINER');
    expect(doc.relationships).toContainEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: image?.SPDXID });
    const lodash = doc.packages.find((p) => p.name === 'lodash');
    expect(lodash?.externalRefs).toEqual([
      { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/lodash@4.17.15' },
      { referenceCategory: 'SECURITY', referenceType: 'advisory', referenceLocator: 'https://nvd.nist.gov/vuln/detail/CVE-2020-8203', comment: 'CVE-2020-8203 HIGH; fixed; fixed in 4.17.19; aliases GHSA-p6mc-m468-83gw' },
    ]);
    expect(doc.packages.find((p) => p.primaryPackagePurpose === 'OPERATING-SYSTEM')).toMatchObject({ name: 'debian', versionInfo: '12' });
    // a broken id is caught by the same check
    expect(validate({ ...doc, packages: [{ ...doc.packages[0], SPDXID: 'SPDXRef-has space' }] })).toBe(false);
  });

  it('says in the document comment when vulnerabilities were not checked', () => {
    expect(buildSpdxDocument(fixtureReport(NO_DATA), TOOL).comment).toContain('not checked: no advisory database at');
  });
});

import { BadInputError, type PluginServiceContext } from '@bulkhead/plugin-sdk';
import type { PluginDatabase } from '@bulkhead/plugin-sdk/api';
import signerPlugin from '../plugin';
import { signerTestDatabase, type SignerTestDatabase } from '../testing/plugin-database';
import { imageSignatureService } from './image-signature-service';
import { SignatureRecords, type SignatureCheck } from './signature-records';

/*
 * The signer's `imageSignatures` service on real Postgres (a schema of this suite's own): the
 * latest verdict per (digest, signature, verifier), within the caller's team only, one query.
 */
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const KEY = `key:${'f'.repeat(64)}`;

function check(imageDigest: string, extra: Partial<SignatureCheck> = {}): SignatureCheck {
  return { imageDigest, reference: `registry.example/app@${imageDigest}`, format: 'cosign-legacy', signatureDigest: digest('e'), verifier: KEY, identity: KEY, valid: true, reason: null, ...extra };
}

describe('imageSignatures provided by the signer (Postgres)', () => {
  let db: SignerTestDatabase;
  let queries: number;
  let counting: PluginDatabase;
  const service = (team: string) => imageSignatureService({ database: counting, team } satisfies PluginServiceContext);

  beforeAll(async () => {
    db = await signerTestDatabase('service');
    counting = { query: (sql, parameters) => (queries++, db.database.query(sql, parameters)), transaction: (work) => db.database.transaction(work) };
    await new SignatureRecords(db.database, 'team-a').recordSignatures([check(digest('1')), check(digest('2'), { format: 'cosign-bundle', signatureDigest: digest('d'), valid: false, identity: null, reason: 'wrong-key' })], null);
    await new SignatureRecords(db.database, 'team-b').recordSignatures([check(digest('3'))], null);
  });
  afterAll(async () => {
    await db?.drop();
  });
  beforeEach(() => {
    queries = 0;
  });

  it('is declared by the signer plugin under the well-known name', () => {
    expect(signerPlugin.provides?.imageSignatures).toBe(imageSignatureService);
  });

  it('answers valid and invalid verdicts of the caller team, with the key fingerprint as verifier, in one query', async () => {
    const verdicts = await service('team-a').forDigests([digest('1'), digest('2'), digest('3'), digest('1')]);
    expect(queries).toBe(1);
    expect(verdicts).toEqual([
      { manifestDigest: digest('1'), format: 'cosign-legacy', verifier: KEY, identity: KEY, valid: true, reason: null, checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      { manifestDigest: digest('2'), format: 'cosign-bundle', verifier: KEY, identity: null, valid: false, reason: 'wrong-key', checkedAt: expect.any(String) },
    ]);
    // Team B's signature is not team A's, and the other way round.
    expect((await service('team-b').forDigests([digest('1'), digest('2')])).length).toBe(0);
    expect((await service('team-b').forDigests([digest('3')])).map((v) => v.manifestDigest)).toEqual([digest('3')]);
  });

  it('holds the latest verdict: a new check of the same signature with the same key replaces it', async () => {
    await new SignatureRecords(db.database, 'team-a').recordSignatures([check(digest('1'), { valid: false, reason: 'digest-mismatch', identity: null })], null);
    const verdicts = await service('team-a').forDigests([digest('1')]);
    expect(verdicts.map((v) => [v.valid, v.reason])).toEqual([[false, 'digest-mismatch']]);
  });

  it('refuses more than 1,000 digests, a malformed digest and a missing team, naming the problem; no digest: no query', async () => {
    await expect(service('team-a').forDigests(Array.from({ length: 1001 }, () => digest('1')))).rejects.toThrow('imageSignatures.forDigests: 1001 digests, at most 1000 per call');
    await expect(service('team-a').forDigests([digest('1'), "sha256:' OR 1=1 --"])).rejects.toThrow(BadInputError);
    await expect(service('team-a').forDigests([digest('1'), 'latest'])).rejects.toThrow(/digest 1 \("latest"\) is not a manifest digest/);
    expect(() => service('')).toThrow(/no team/);
    expect(await service('team-a').forDigests([])).toEqual([]);
    expect(queries).toBe(0);
  });
});

import { createClusterTestDatabase, type ClusterTestDatabase } from './testing/plugin-db';
import { CLUSTER_IMAGE_MIGRATION, ClusterImageStore } from './images-store';

/* The one-scan-per-digest claims on real Postgres (a schema of this suite's own). */

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const image = (c: string) => ({ manifestDigest: digest(c), ref: `registry.example/app@${digest(c)}` });

describe('cluster_image claims', () => {
  let db: ClusterTestDatabase;
  beforeAll(async () => {
    db = await createClusterTestDatabase('cluster_img');
    await CLUSTER_IMAGE_MIGRATION.up(db.database);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('claims each digest once per team, whatever the batch repeats', async () => {
    const red = new ClusterImageStore(db.database, 'red');
    expect(await red.claim([image('a'), image('b'), image('a')])).toEqual([image('a'), image('b')]);
    expect(await red.claim([image('a'), image('c')])).toEqual([image('c')]);
    // Concurrent planners (two clusters) split the digests, never both queue one.
    const [one, two] = await Promise.all([red.claim([image('d'), image('e')]), red.claim([image('e'), image('d')])]);
    expect([...one, ...two].map((i) => i.manifestDigest).sort()).toEqual([digest('d'), digest('e')]);
    // Another team scans its own copy.
    expect(await new ClusterImageStore(db.database, 'blue').claim([image('a')])).toEqual([image('a')]);
  });

  it('claims again a digest whose scan failed, or whose claim was never queued, after the retry delay', async () => {
    const store = new ClusterImageStore(db.database, 'green');
    await store.claim([image('a'), image('b'), image('c')]);
    await store.setFlowTask(digest('a'), '00000000-0000-4000-8000-000000000001');
    await store.recordOutcome(digest('a'), image('a').ref, { imageId: null, scanStatus: 'FAILED', scanError: 'registry down', verifyStatus: 'FAILED', verifyError: 'registry down' });
    await store.setFlowTask(digest('b'), '00000000-0000-4000-8000-000000000002');
    await store.recordOutcome(digest('b'), image('b').ref, { imageId: digest('f'), scanStatus: 'SUCCEEDED', scanError: null, verifyStatus: 'SUCCEEDED', verifyError: null });
    expect(await store.claim([image('a'), image('b'), image('c')])).toEqual([]);
    await db.database.query(`UPDATE cluster_image SET scanned_at = now() - interval '2 hours', requested_at = now() - interval '2 hours' WHERE team = 'green'`);
    // a failed, c was claimed and never queued: both again; b was scanned: never again.
    expect((await store.claim([image('a'), image('b'), image('c')])).map((i) => i.manifestDigest).sort()).toEqual([digest('a'), digest('c')]);
    const [b] = await store.get([digest('b')]);
    expect(b).toMatchObject({ imageId: digest('f'), scanStatus: 'SUCCEEDED' });
  });

  it('keeps error texts bounded', async () => {
    const store = new ClusterImageStore(db.database, 'grey');
    await store.recordOutcome(digest('a'), image('a').ref, { imageId: null, scanStatus: 'FAILED', scanError: 'x'.repeat(100_000), verifyStatus: 'FAILED', verifyError: null });
    const [row] = await store.get([digest('a')]);
    expect(row?.scanError).toHaveLength(2000);
  });
});

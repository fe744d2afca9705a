import { ImageStore, ResultWriter } from '@bulkhead/persistence';
import { createTestDatabase, type TestDatabase } from '@bulkhead/persistence/testing';
import { StoreHostArtifacts } from './host-artifacts';

/** HostArtifacts on real Postgres: an image is found by its image id or any manifest digest. */
describe('StoreHostArtifacts', () => {
  let db: TestDatabase;
  const imageId = `sha256:${'a'.repeat(64)}`;
  const manifest = `sha256:${'b'.repeat(64)}`;
  const index = `sha256:${'c'.repeat(64)}`;

  beforeAll(async () => {
    db = await createTestDatabase('host_artifacts');
    await new ResultWriter(db.dataSource, null).artifact({
      digest: imageId,
      manifestDigests: [manifest, index],
      references: ['oci:/layout:app'],
      os: { family: 'debian', version: '12' },
      size: 1,
      layers: [],
      metadata: { executables: ['/bin/sh'] },
    });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('gets the image by its image id and by each manifest digest, with every manifest digest', async () => {
    const artifacts = new StoreHostArtifacts(new ImageStore(db.dataSource));
    for (const digest of [imageId, manifest, index]) {
      expect(await artifacts.get(digest)).toMatchObject({ digest: imageId, manifestDigests: [manifest, index], references: ['oci:/layout:app'], os: { family: 'debian', version: '12' } });
      expect(await artifacts.executables(digest)).toEqual(new Set(['/bin/sh']));
    }
    expect(await artifacts.get(`sha256:${'d'.repeat(64)}`)).toBeNull();
    expect(await artifacts.executables(`sha256:${'d'.repeat(64)}`)).toBeNull();
  });
});

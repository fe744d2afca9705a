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

  it('pages through the package inventory by name, by either digest; null for an unknown image', async () => {
    await new ResultWriter(db.dataSource, null).packages(imageId, [
      { type: 'deb', name: 'zlib1g', version: '1:1.2.13', sourceName: 'zlib', purl: 'pkg:deb/debian/zlib1g@1:1.2.13', layer: 'sha256:l1', path: 'var/lib/dpkg/status' },
      { type: 'deb', name: 'gzip', version: '1.12-1', purl: 'pkg:deb/debian/gzip@1.12-1' },
      { type: 'npm', name: 'left-pad', version: '1.3.0', purl: 'pkg:npm/left-pad@1.3.0', path: 'app/package-lock.json' },
    ]);
    const artifacts = new StoreHostArtifacts(new ImageStore(db.dataSource));
    const first = await artifacts.packages(manifest, { first: 2 });
    expect(first?.items.map((p) => p.name)).toEqual(['gzip', 'left-pad']);
    expect(first?.items[0]).toEqual({ type: 'deb', name: 'gzip', version: '1.12-1', purl: 'pkg:deb/debian/gzip@1.12-1', metadata: {} });
    expect(first?.hasNextPage).toBe(true);
    const second = await artifacts.packages(imageId, { first: 2, after: first?.endCursor ?? null });
    expect(second?.items).toEqual([
      { type: 'deb', name: 'zlib1g', version: '1:1.2.13', sourceName: 'zlib', purl: 'pkg:deb/debian/zlib1g@1:1.2.13', layer: 'sha256:l1', path: 'var/lib/dpkg/status', metadata: {} },
    ]);
    expect(second?.hasNextPage).toBe(false);
    expect(await artifacts.packages(`sha256:${'d'.repeat(64)}`)).toBeNull();
  });
});

import { CollectingEmitter } from './collecting-emitter';

describe('CollectingEmitter', () => {
  it('keeps one artifact per digest, merging references and manifest digests as the database does', async () => {
    const emit = new CollectingEmitter();
    const digest = `sha256:${'c'.repeat(64)}`;
    const [m1, m2] = [`sha256:${'1'.repeat(64)}`, `sha256:${'2'.repeat(64)}`];
    await emit.artifact({ digest, references: ['oci:/l'], manifestDigests: [m2], size: 1, layers: [] });
    await emit.artifact({ digest, references: ['docker-archive:/a.tar'], size: 2, layers: [] });
    await emit.artifact({ digest, references: ['oci:/l'], manifestDigests: [m1, m2], size: 3, layers: [] });
    expect(emit.artifacts.size).toBe(1);
    expect(emit.artifacts.get(digest)).toMatchObject({ references: ['oci:/l', 'docker-archive:/a.tar'], manifestDigests: [m1, m2], size: 3 });
  });

  it('leaves manifestDigests out for an artifact that has none', async () => {
    const emit = new CollectingEmitter();
    await emit.artifact({ digest: 'sha256:x', references: [], size: 0, layers: [] });
    expect(emit.artifacts.get('sha256:x')).not.toHaveProperty('manifestDigests');
  });
});

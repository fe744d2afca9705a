import { runPluginTask } from '@bulkhead/plugin-sdk/testing';
import { benchmarkPlugin } from '../plugin';
import { scanWorkloadImageTask, SCAN_CLUSTER_IMAGES } from './images-tasks';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('scan-workload-image', () => {
  it('scans and verifies the running digest through the scanner and signer tasks, by kind and type', () => {
    const input = scanWorkloadImageTask.input.parse({ ref: `registry.example:5000/shop/web@${DIGEST}` });
    expect(scanWorkloadImageTask.children?.(input)).toEqual([
      { kind: 'scanner', type: 'scan-image', input: { source: `registry:registry.example:5000/shop/web@${DIGEST}` } },
      { kind: 'signer', type: 'verify-image', input: { ref: `registry.example:5000/shop/web@${DIGEST}` } },
    ]);
    // Docker Hub names are normalised, so the same digest is one reference.
    expect(scanWorkloadImageTask.children?.({ ref: `nginx@${DIGEST}` })?.[1]).toEqual({ kind: 'signer', type: 'verify-image', input: { ref: `docker.io/library/nginx@${DIGEST}` } });
  });

  it('refuses references not pinned by digest or not references at all, naming the field', () => {
    for (const ref of ['nginx:1.27', 'registry.example/app', `oci:/etc@${DIGEST}`, `registry.example/a b@${DIGEST}`, 'registry.example/app@sha256:short']) {
      expect(() => scanWorkloadImageTask.serverInputs?.({ ref })).toThrow(/^ref: /);
    }
  });
});

describe('scan-cluster-images', () => {
  it('reads the stored inventory, so it refuses to run inline', async () => {
    await expect(runPluginTask(benchmarkPlugin, SCAN_CLUSTER_IMAGES, { cluster: 'prod' })).rejects.toThrow('runs on a server');
  });
});

import { graphqlData, startTestPlatform, type TestPlatform } from '@bulkhead/api/testing';
import { builtinPluginPackages, registryOf } from '@bulkhead/builtin-plugins';
import { testImages } from '@bulkhead/testing';

/*
 * A flow's parent on the platform: with no worker for its children's kinds, the gate's job waits
 * in BullMQ's waiting-children with its row QUEUED and the children QUEUED; cancelling the
 * parent cancels its flow children too (they only ran for it).
 */
jest.setTimeout(60_000);

interface TaskRow {
  id: string;
  kind: string;
  type: string;
  status: string;
}

describe('flows through the API: waiting and cancelling', () => {
  let platform: TestPlatform;

  beforeAll(async () => {
    const packages = builtinPluginPackages();
    // Only the signer's queue is served: the scan and the benchmark stay queued.
    platform = await startTestPlatform({ label: 'api_flow_cancel', registry: registryOf(packages), plugins: packages, kinds: ['signer'] });
  });
  afterAll(async () => platform?.stop());

  const children = async (id: string): Promise<TaskRow[]> =>
    platform.db.dataSource.query('SELECT id, kind, type, status FROM task WHERE parent_task_id = $1 ORDER BY kind', [id]);

  it('the parent waits for its queued children without a worker, and cancelling it cancels them', async () => {
    const images = testImages();
    const { promoteImage } = await graphqlData<{ promoteImage: { id: string } }>(platform.api.url, 'mutation($r: String!) { promoteImage(ref: $r, policy: { maxSeverity: HIGH }) { id } }', {
      r: `oci:${images.tinyOciLayout}:${images.tinyOciRef}`,
    });
    const deadline = Date.now() + 30_000;
    while ((await children(promoteImage.id)).length < 2) {
      if (Date.now() > deadline) throw new Error('the children were never queued');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await children(promoteImage.id)).map((c) => [c.kind, c.type, c.status])).toEqual([
      ['benchmark', 'image-config', 'QUEUED'],
      ['scanner', 'scan-image', 'QUEUED'],
    ]);
    const [parent] = await platform.db.dataSource.query('SELECT status, attempts FROM task WHERE id = $1', [promoteImage.id]);
    expect(parent).toEqual({ status: 'QUEUED', attempts: 0 });
    const { cancelTask } = await graphqlData<{ cancelTask: { status: string } }>(platform.api.url, 'mutation($id: ID!) { cancelTask(id: $id) { status } }', { id: promoteImage.id });
    expect(cancelTask.status).toBe('CANCELLED');
    expect((await children(promoteImage.id)).map((c) => c.status)).toEqual(['CANCELLED', 'CANCELLED']);
  });
});

import { RecordingLogger } from '@bulkhead/plugin-sdk/testing';
import { ImageScanTrigger } from './images-trigger';

const running = (...digests: string[]) => [{ images: digests.map((d) => ({ containerType: 'container' as const, container: 'c', image: 'app', imageId: `app@${d}`, digest: d, repository: 'reg.example/app' })) }];

describe('ImageScanTrigger', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('asks once for new digests, at most once per interval, never for digests it has seen, and never fails the watch', async () => {
    const asked: unknown[] = [];
    let refuse = false;
    const platform = {
      submitTask: async (request: unknown) => {
        if (refuse) throw new Error('may queue at most 1000 tasks');
        asked.push(request);
        return { id: String(asked.length) };
      },
    };
    const logger = new RecordingLogger();
    const trigger = new ImageScanTrigger(platform, 'prod', logger, 60_000);
    trigger.observe(running('sha256:a', 'sha256:b'));
    trigger.observe(running('sha256:a'));
    await jest.advanceTimersByTimeAsync(0);
    expect(asked).toEqual([{ kind: 'benchmark', type: 'scan-cluster-images', input: { cluster: 'prod' } }]);
    trigger.observe(running('sha256:a', 'sha256:b'));
    trigger.observe(running('sha256:c'));
    await jest.advanceTimersByTimeAsync(59_000);
    expect(asked).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1_000);
    expect(asked).toHaveLength(2);
    refuse = true;
    trigger.observe(running('sha256:d'));
    await jest.advanceTimersByTimeAsync(60_000);
    expect(asked).toHaveLength(2);
    expect(JSON.stringify(logger.records)).toContain('could not queue the scans of new running images');
    trigger.close();
  });
});

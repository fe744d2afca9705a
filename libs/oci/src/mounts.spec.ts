import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { skippedMountsUnder } from './mounts';

describe('skippedMountsUnder', () => {
  it('lists virtual and network mounts inside the root, keeping disk partitions', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'bh-mounts-'));
    try {
      const file = path.join(dir, 'mountinfo');
      writeFileSync(
        file,
        [
          '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
          '23 22 0:21 / /proc rw,nosuid shared:12 - proc proc rw',
          '24 22 8:2 / /var rw,relatime shared:2 - xfs /dev/sda2 rw',
          '25 22 0:50 / /mnt/share\\040one rw shared:3 - nfs4 server:/x rw',
          '26 22 0:51 / /home/me/remote rw shared:4 - fuse.sshfs me@host: rw',
          '27 22 0:52 / /srv/rootfs/run rw shared:5 - tmpfs tmpfs rw',
        ].join('\n'),
      );
      expect([...(skippedMountsUnder('/', file) ?? [])].sort()).toEqual(['home/me/remote', 'mnt/share one', 'proc', 'srv/rootfs/run']);
      expect([...(skippedMountsUnder('/srv/rootfs', file) ?? [])]).toEqual(['run']);
      expect(skippedMountsUnder('/', path.join(dir, 'absent'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

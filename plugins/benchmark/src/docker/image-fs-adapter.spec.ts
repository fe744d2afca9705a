import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openImage } from '@bulkhead/oci';
import { testImageBuilder } from '@bulkhead/oci/testing';
import { assessImageFilesystem } from './image-filesystem';
import { imageFilesystemView } from './image-fs-adapter';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'bh-bench-fs-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('image file-system view over a layered image', () => {
  it('sees setuid files and leftovers of the final file system only (whiteouts, opaque dirs, hardlinks)', async () => {
    const layout = path.join(dir, 'layout');
    await testImageBuilder.writeOciLayout(layout, [
      {
        layers: [
          {
            entries: [
              { name: 'usr/bin/su', content: 'su', mode: 0o4755 },
              { name: 'usr/bin/removed', content: 'x', mode: 0o4755 },
              { name: 'opt/app/', type: 'directory' },
              { name: 'opt/app/Dockerfile', content: 'FROM x' },
              { name: 'etc/passwd', content: 'root:x:0:0::/root:/bin/sh\n' },
            ],
          },
          {
            entries: [
              { name: 'usr/bin/.wh.removed' },
              { name: 'opt/app/.wh..wh..opq' },
              { name: 'usr/bin/newgrp', content: 'ng', mode: 0o2755 },
              { name: 'usr/bin/su2', type: 'link', linkname: 'usr/bin/su' },
            ],
          },
        ],
      },
    ]);
    const view = await imageFilesystemView(await openImage(`oci:${layout}`));
    const found = (await assessImageFilesystem(view)).map((a) => `${a.code} ${a.filename}${a.level === 'SKIP' ? ' skip' : ''}`).sort();
    expect(found).toEqual(['CIS-DI-0008 usr/bin/newgrp', 'CIS-DI-0008 usr/bin/su', 'CIS-DI-0008 usr/bin/su2', 'DKL-LI-0001  skip', 'DKL-LI-0002  skip']);
    expect((await view.read(['etc/passwd'])).get('etc/passwd')?.toString()).toContain('root:x:0:0');
    expect((await view.read(['opt/app/Dockerfile', 'usr/bin/su'])).get('usr/bin/su')?.toString()).toBe('su');
  });
});

import { detectDrift, normalisePath, PathSetInventory, DRIFT_RULE_NAME } from './drift';

const inventory = new PathSetInventory(['usr/bin/ls', '/bin/sh', '/usr/local/bin/node']);
const lookup = (digest: string) => (digest === 'sha256:aaa' ? inventory : undefined);
const exec = {
  'evt.type': 'execve',
  'evt.dir': '<',
  'evt.rawres': 0,
  'evt.rawtime': 1700000000000000000,
  'proc.name': 'xmrig',
  'proc.exepath': '/tmp/xmrig',
  'proc.cmdline': 'xmrig -o pool',
  'proc.pname': 'sh',
  'container.id': 'c0ffee',
  'container.image.repository': 'shop/api',
  'container.image.digest': 'sha256:aaa',
};

describe('drift detection', () => {
  it('raises a Drift Detected alert for an executable that is not in the image', () => {
    const v = detectDrift(exec, lookup, { hostname: 'n1' });
    expect(v.drift).toBe(true);
    if (!v.drift) return;
    expect(v.alert).toMatchObject({ rule: DRIFT_RULE_NAME, priority: 'Critical', source: 'syscall', hostname: 'n1' });
    expect(v.alert.output).toContain('proc.exepath=/tmp/xmrig');
    expect(v.alert.output_fields['container.image.digest']).toBe('sha256:aaa');
  });

  it('accepts executables of the image, whatever the path spelling', () => {
    expect(detectDrift({ ...exec, 'proc.exepath': '/usr//bin/./ls' }, lookup)).toEqual({ drift: false, reason: 'in-image' });
    expect(normalisePath('usr/bin/../bin/ls')).toBe('/usr/bin/ls');
  });

  it.each([
    [{ 'evt.type': 'open' }, 'not-exec'],
    [{ 'evt.dir': '>' }, 'not-exec'],
    [{ 'evt.rawres': -2 }, 'failed-exec'],
    [{ 'container.id': 'host' }, 'host-process'],
    [{ 'proc.exepath': undefined }, 'no-executable-path'],
    [{ 'container.image.digest': undefined }, 'no-image-digest'],
    [{ 'container.image.digest': 'sha256:unknown' }, 'unknown-image'],
  ])('does not judge %j (%s)', (patch, reason) => {
    expect(detectDrift({ ...exec, ...patch }, lookup)).toEqual({ drift: false, reason });
  });
});

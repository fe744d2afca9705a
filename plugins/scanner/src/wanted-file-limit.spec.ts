import { builtinAnalyzers } from './analyzers';
import { MAX_BINARY_SIZE } from './analyzers/golang';
import { wantedFileLimit } from './scan';

/*
 * The per-path limit the walk applies before it holds a wanted body: the largest maxFileSize
 * among the analyzers that want the path, so a 60 MiB `etc/os-release` is skipped while its
 * header is read, instead of being held until the os-release analyzer (64 KiB) drops it.
 */
describe('wantedFileLimit', () => {
  it('is the largest limit of the analyzers that want the path', () => {
    expect(wantedFileLimit(builtinAnalyzers, 'etc/os-release')).toBe(64 * 1024);
    expect(wantedFileLimit(builtinAnalyzers, 'usr/bin/kubectl')).toBe(MAX_BINARY_SIZE);
    expect(wantedFileLimit(builtinAnalyzers, 'var/lib/dpkg/status')).toBe(64 * 1024 * 1024);
  });

  it('is 0 for a path no analyzer wants, and unbounded (the walk caps it) for an analyzer without a limit', () => {
    expect(wantedFileLimit(builtinAnalyzers, 'usr/share/doc/readme.txt')).toBe(0);
    const open = { id: 'x', version: '1', stage: 'packages' as const, wants: () => true, analyze: () => ({}) };
    expect(wantedFileLimit([open], 'anything')).toBe(Number.POSITIVE_INFINITY);
  });
});

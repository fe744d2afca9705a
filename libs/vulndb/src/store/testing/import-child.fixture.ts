// A separate process importing into the embedded store (run with `node -r @swc-node/register`):
// argv: cacheDir source count. Prints the ImportReport as JSON. Used by sqlite-store.spec.ts to
// show two processes importing at once both succeed, one after the other.
import { createEmbeddedAdvisoryStore } from '../sqlite-store';
import type { Advisory } from '../../model';
import { npmAdvisory } from './advisories.fixture';

async function* slowly(source: string, count: number): AsyncIterable<Advisory> {
  for (let i = 0; i < count; i++) {
    // Yield to the event loop now and then so the two processes' imports overlap in time.
    if (i % 100 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    yield npmAdvisory(`${source}-${i}`, `pkg-${i % 50}`, '1.0.0');
  }
}

async function main(): Promise<void> {
  const [cacheDir = '', source = '', count = '0'] = process.argv.slice(2);
  const store = createEmbeddedAdvisoryStore(cacheDir);
  try {
    const report = await store.import(source, slowly(source, Number(count)));
    process.stdout.write(`${JSON.stringify({ ...report, rejected: report.rejected.length })}\n`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});

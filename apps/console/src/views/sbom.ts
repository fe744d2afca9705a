import type { Client, OperationResult } from 'urql';
import type { SbomPackagesQuery } from '../gql/graphql';
import { graphql } from '../gql';

const PackagesPage = graphql(`
  query SbomPackages($digest: String!, $after: String) {
    image(digest: $digest) {
      digest
      packages(first: 500, after: $after) {
        pageInfo {
          ...KeysetPage
        }
        edges {
          node {
            name
            version
            purl
            type
          }
        }
      }
    }
  }
`);

/** At most this many pages of 500 (100,000 packages): a bound, so a hostile inventory cannot hang the tab. */
const MAX_PAGES = 200;

/**
 * The image's package inventory as a CycloneDX 1.5 JSON SBOM, saved as a file. Built from the
 * API's `packages` pages (the same inventory the server holds), so it needs no extra endpoint.
 */
export async function downloadSbom(client: Client, digest: string, name: string): Promise<void> {
  const components: { type: string; name: string; version: string; purl: string }[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result: OperationResult<SbomPackagesQuery> = await client.query(PackagesPage, { digest, after }, { requestPolicy: 'network-only' }).toPromise();
    if (result.error) throw new Error(`SBOM: ${result.error.message}`);
    const packages: NonNullable<SbomPackagesQuery['image']>['packages'] | undefined = result.data?.image?.packages;
    if (!packages) throw new Error(`SBOM: no image ${digest} in your team`);
    for (const { node } of packages.edges) components.push({ type: 'library', name: node.name, version: node.version, purl: node.purl });
    if (!packages.pageInfo.hasNextPage || !packages.pageInfo.endCursor) break;
    after = packages.pageInfo.endCursor;
  }
  const bom = {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    version: 1,
    metadata: { timestamp: new Date().toISOString(), component: { type: 'container', name, version: digest } },
    components,
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(bom, null, 2)], { type: 'application/vnd.cyclonedx+json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `sbom-${digest.replace(/[^a-z0-9]/gi, '-').slice(0, 40)}.cdx.json`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

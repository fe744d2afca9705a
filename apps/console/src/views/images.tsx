import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager } from '../components/filters';
import { nodesOf, usePagedQuery } from '../components/paged';
import type { ImagesQuery as ImagesData } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, shortDigest, useUrlFilter } from '../ui';
import { Can } from '../viewer';

const ImagesQuery = graphql(`
  query Images($first: Int, $after: String, $search: String, $package: String) {
    images(first: $first, after: $after, search: $search, package: $package) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          digest
          references
          updatedAt
          size
          signed
          os {
            family
            version
          }
        }
      }
    }
  }
`);

const ImagesWithVulnerabilityQuery = graphql(`
  query ImagesWithVulnerability($id: String!, $first: Int, $after: String) {
    imagesWithVulnerability(id: $id, first: $first, after: $after) {
      totalCount
      pageInfo {
        ...KeysetPage
      }
      edges {
        node {
          digest
          findingCount
        }
      }
    }
  }
`);

const ScanImageMutation = graphql(`
  mutation ScanImage($source: String!) {
    scanImage(source: $source) {
      id
    }
  }
`);

/** An advisory id (CVE-2024-1234, GHSA-..., DSA-...): the search then asks which images hold it. */
const ADVISORY_ID = /^(CVE|GHSA|DSA|DLA|PYSEC|GO|RUSTSEC|OSV|ALSA)-[\w.-]+$/i;

export default function ImagesView() {
  const [params, update] = useUrlFilter();
  const search = params.get('q') ?? '';
  const packageName = params.get('package') ?? '';
  const [draft, setDraft] = useState(search);
  const [packageDraft, setPackageDraft] = useState(packageName);
  const byAdvisory = ADVISORY_ID.test(search);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    update({ q: draft.trim() || null, package: packageDraft.trim() || null });
  };
  return (
    <>
      <h1>Images</h1>
      <form role="search" onSubmit={submit} className="filters">
        <label htmlFor="image-search">Name, image id or advisory (CVE-…)</label>
        <input id="image-search" type="search" value={draft} onChange={(e) => setDraft(e.target.value)} />
        <label htmlFor="image-package">Package</label>
        <input id="image-package" type="search" value={packageDraft} onChange={(e) => setPackageDraft(e.target.value)} placeholder="exact name" />
        <button type="submit">Search</button>
      </form>
      <Can role="operator">
        <ScanForm />
      </Can>
      {byAdvisory ? <ByAdvisory id={search} /> : <ImageList search={search} packageName={packageName} />}
    </>
  );
}

function ImageList({ search, packageName }: { search: string; packageName: string }) {
  const [{ data, error, fetching }] = usePagedQuery(ImagesQuery, { search: search || null, package: packageName || null });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const images = data.images;
  return (
    <>
      <DataTable caption="Images, most recently scanned first" columns={IMAGE_COLUMNS} rows={nodesOf(images)} rowKey={(node) => node.digest} />
      {images.edges.length === 0 ? <p>No image matches.</p> : null}
      <ConnectionPager connection={images} />
    </>
  );
}

const IMAGE_COLUMNS: Column<ImagesData['images']['edges'][number]['node']>[] = [
  { header: 'Image', cell: (node) => <Link to={`/images/${encodeURIComponent(node.digest)}`}>{shortDigest(node.digest)}</Link> },
  { header: 'Names', cell: (node) => node.references.join(', ') },
  { header: 'OS', cell: (node) => (node.os ? `${node.os.family} ${node.os.version}` : '—') },
  { header: 'Signed', cell: (node) => (node.signed ? 'yes' : 'no') },
  { header: 'Updated', cell: (node) => formatTime(node.updatedAt) },
];

function ByAdvisory({ id }: { id: string }) {
  const [{ data, error, fetching }] = usePagedQuery(ImagesWithVulnerabilityQuery, { id });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const images = data.imagesWithVulnerability;
  const columns: Column<(typeof images.edges)[number]['node']>[] = [
    { header: 'Image', cell: (node) => <Link to={`/images/${encodeURIComponent(node.digest)}?advisory=${encodeURIComponent(id)}`}>{shortDigest(node.digest)}</Link> },
    { header: `Findings of ${id}`, cell: (node) => node.findingCount },
  ];
  return (
    <>
      <DataTable caption={`Images holding ${id}`} columns={columns} rows={nodesOf(images)} rowKey={(node) => node.digest} />
      {images.edges.length === 0 ? <p>No image holds {id}.</p> : null}
      <ConnectionPager connection={images} />
    </>
  );
}

/** scanImage: queues a scan on a worker and opens the task, whose progress is live there. */
function ScanForm() {
  const [source, setSource] = useState('');
  const [{ error, fetching }, scan] = useMutation(ScanImageMutation);
  const navigate = useNavigate();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await scan({ source: source.trim() });
    if (result.data) navigate(`/tasks/${result.data.scanImage.id}`);
  };
  return (
    <form onSubmit={submit} className="filters" aria-label="Scan an image">
      <label htmlFor="scan-source">Scan source</label>
      <input id="scan-source" value={source} onChange={(e) => setSource(e.target.value)} placeholder="oci:/path/to/layout" required />
      <button type="submit" disabled={fetching}>
        Scan image
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

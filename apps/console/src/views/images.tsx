import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useMutation, useQuery } from 'urql';
import { graphql } from '../gql';
import { ErrorNote, formatTime, Loading, Pager, shortDigest, useUrlFilter } from '../ui';
import { Can } from '../viewer';

const ImagesQuery = graphql(`
  query Images($first: Int, $after: String, $search: String, $package: String) {
    images(first: $first, after: $after, search: $search, package: $package) {
      totalCount
      pageInfo {
        endCursor
        hasNextPage
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
        endCursor
        hasNextPage
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
  const after = params.get('after');
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
      {byAdvisory ? <ByAdvisory id={search} after={after} /> : <ImageList search={search} packageName={packageName} after={after} />}
    </>
  );
}

function ImageList({ search, packageName, after }: { search: string; packageName: string; after: string | null }) {
  const [{ data, error, fetching }] = useQuery({ query: ImagesQuery, variables: { first: 50, after, search: search || null, package: packageName || null } });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const { edges, pageInfo, totalCount } = data.images;
  return (
    <>
      <table>
        <caption>Images, most recently scanned first</caption>
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Names</th>
            <th scope="col">OS</th>
            <th scope="col">Signed</th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {edges.map(({ node }) => (
            <tr key={node.digest}>
              <td>
                <Link to={`/images/${encodeURIComponent(node.digest)}`}>{shortDigest(node.digest)}</Link>
              </td>
              <td>{node.references.join(', ')}</td>
              <td>{node.os ? `${node.os.family} ${node.os.version}` : '—'}</td>
              <td>{node.signed ? 'yes' : 'no'}</td>
              <td>{formatTime(node.updatedAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {edges.length === 0 ? <p>No image matches.</p> : null}
      <Pager endCursor={pageInfo.endCursor} hasNextPage={pageInfo.hasNextPage} total={totalCount} shown={edges.length} />
    </>
  );
}

function ByAdvisory({ id, after }: { id: string; after: string | null }) {
  const [{ data, error, fetching }] = useQuery({ query: ImagesWithVulnerabilityQuery, variables: { id, first: 50, after } });
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const { edges, pageInfo, totalCount } = data.imagesWithVulnerability;
  return (
    <>
      <table>
        <caption>Images holding {id}</caption>
        <thead>
          <tr>
            <th scope="col">Image</th>
            <th scope="col">Findings of {id}</th>
          </tr>
        </thead>
        <tbody>
          {edges.map(({ node }) => (
            <tr key={node.digest}>
              <td>
                <Link to={`/images/${encodeURIComponent(node.digest)}?advisory=${encodeURIComponent(id)}`}>{shortDigest(node.digest)}</Link>
              </td>
              <td>{node.findingCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {edges.length === 0 ? <p>No image holds {id}.</p> : null}
      <Pager endCursor={pageInfo.endCursor} hasNextPage={pageInfo.hasNextPage} total={totalCount} shown={edges.length} />
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

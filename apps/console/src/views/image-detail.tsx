import { Link, useParams } from 'react-router-dom';
import { useClient, useQuery } from 'urql';
import { useState } from 'react';
import { graphql } from '../gql';
import { ErrorNote, formatTime, Loading, Pager, Section, SEVERITIES, SeverityBadge, StatusBadge, useUrlFilter } from '../ui';
import { Can } from '../viewer';
import { SuppressControls } from './suppress';
import { downloadSbom } from './sbom';

const ImageQuery = graphql(`
  query ImageDetail($digest: String!, $vulnAfter: String, $pkgAfter: String, $status: [FindingStatus!], $severity: [Severity!], $advisory: String) {
    image(digest: $digest) {
      digest
      manifestDigests
      references
      size
      createdAt
      updatedAt
      signed
      os {
        family
        version
        name
      }
      layers {
        digest
        diffId
        size
        mediaType
      }
      open: vulnerabilityCounts(status: [OPEN]) {
        critical
        high
        medium
        low
        unknown
        total
        fixable
      }
      signatures {
        id
        format
        valid
        verifier
        identity
        reason
        checkedAt
      }
      attestations {
        id
        predicateType
        valid
        reason
        checkedAt
      }
      vulnerabilities(first: 50, after: $vulnAfter, status: $status, severity: $severity, advisoryId: $advisory) {
        totalCount
        pageInfo {
          endCursor
          hasNextPage
        }
        edges {
          node {
            id
            advisoryId
            title
            severity
            status
            installedVersion
            fixedVersion
            fixAvailable
            package {
              name
              version
            }
          }
        }
      }
      packages(first: 50, after: $pkgAfter) {
        totalCount
        pageInfo {
          endCursor
          hasNextPage
        }
        edges {
          node {
            id
            name
            version
            type
            purl
            layer
          }
        }
      }
    }
  }
`);

export default function ImageDetailView() {
  const digest = decodeURIComponent(useParams()['digest'] ?? '');
  const [params, update] = useUrlFilter();
  const status = params.get('status') ?? 'OPEN';
  const severity = params.get('severity');
  const advisory = params.get('advisory');
  const [{ data, error, fetching }, refetch] = useQuery({
    query: ImageQuery,
    variables: { digest, vulnAfter: params.get('after'), pkgAfter: params.get('pkgAfter'), status: [status as 'OPEN'], severity: severity ? [severity as 'CRITICAL'] : null, advisory },
  });
  const client = useClient();
  const [sbomError, setSbomError] = useState<string | null>(null);
  if (fetching && !data) return <Loading />;
  if (!data) return <ErrorNote error={error} />;
  const image = data.image;
  if (!image) return <h1>No image {digest} in your team</h1>;
  const vulns = image.vulnerabilities;
  return (
    <>
      <h1>Image {image.references[0] ?? image.digest}</h1>
      <dl className="facts">
        <dt>Image id</dt>
        <dd>
          <code>{image.digest}</code>
        </dd>
        <dt>Names</dt>
        <dd>{image.references.join(', ') || '—'}</dd>
        <dt>OS</dt>
        <dd>{image.os ? `${image.os.name ?? image.os.family} ${image.os.version}` : '—'}</dd>
        <dt>Size</dt>
        <dd>{(image.size / 1_048_576).toFixed(1)} MiB</dd>
        <dt>Signed</dt>
        <dd>{image.signed ? 'yes (a valid signature is on record)' : 'no valid signature on record'}</dd>
        <dt>Open vulnerabilities</dt>
        <dd data-testid="open-count">{image.open.total}</dd>
      </dl>
      <p>
        <button
          type="button"
          onClick={() => {
            setSbomError(null);
            downloadSbom(client, image.digest, image.references[0] ?? image.digest).catch((e: Error) => setSbomError(e.message));
          }}
        >
          Download SBOM (CycloneDX JSON)
        </button>
      </p>
      <ErrorNote error={sbomError} />
      <Section title="Vulnerabilities">
        <p className="counts">
          {SEVERITIES.filter((s) => s !== 'INFO').map((s) => (
            <span key={s}>
              <SeverityBadge severity={s} /> {image.open[s.toLowerCase() as 'critical']}
            </span>
          ))}{' '}
          · {image.open.fixable} with a fix
        </p>
        <div className="filters">
          <label htmlFor="vuln-status">Status</label>
          <select id="vuln-status" value={status} onChange={(e) => update({ status: e.target.value })}>
            {['OPEN', 'SUPPRESSED', 'RESOLVED'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
          <label htmlFor="vuln-severity">Severity</label>
          <select id="vuln-severity" value={severity ?? ''} onChange={(e) => update({ severity: e.target.value })}>
            <option value="">any</option>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <table>
          <caption>Vulnerabilities ({status.toLowerCase()})</caption>
          <thead>
            <tr>
              <th scope="col">Advisory</th>
              <th scope="col">Severity</th>
              <th scope="col">Package</th>
              <th scope="col">Installed</th>
              <th scope="col">Fixed in</th>
              <th scope="col">Status</th>
              <Can role="operator">
                <th scope="col">Action</th>
              </Can>
            </tr>
          </thead>
          <tbody>
            {vulns.edges.map(({ node }) => (
              <tr key={node.id} data-testid="vulnerability">
                <td title={node.title}>{node.advisoryId}</td>
                <td>
                  <SeverityBadge severity={node.severity} />
                </td>
                <td>{node.package.name}</td>
                <td>{node.installedVersion}</td>
                <td>{node.fixedVersion ?? 'no fix yet'}</td>
                <td>
                  <StatusBadge status={node.status} />
                </td>
                <Can role="operator">
                  <td>
                    <SuppressControls id={node.id} status={node.status} label={node.advisoryId} onDone={() => refetch({ requestPolicy: 'network-only' })} />
                  </td>
                </Can>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager endCursor={vulns.pageInfo.endCursor} hasNextPage={vulns.pageInfo.hasNextPage} total={vulns.totalCount} shown={vulns.edges.length} label="Pages of vulnerabilities" />
      </Section>
      <Section title="Layers">
        <ol className="mono">
          {image.layers.map((layer) => (
            <li key={layer.digest}>
              {layer.digest} · {(layer.size / 1024).toFixed(0)} KiB
            </li>
          ))}
        </ol>
      </Section>
      <Section title="Packages">
        <table>
          <caption>Packages by name</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Version</th>
              <th scope="col">Type</th>
              <th scope="col">Layer</th>
            </tr>
          </thead>
          <tbody>
            {image.packages.edges.map(({ node }) => (
              <tr key={node.id}>
                <td>{node.name}</td>
                <td>{node.version}</td>
                <td>{node.type}</td>
                <td className="mono">{node.layer ? node.layer.slice(0, 19) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Pager endCursor={image.packages.pageInfo.endCursor} hasNextPage={image.packages.pageInfo.hasNextPage} total={image.packages.totalCount} shown={image.packages.edges.length} param="pkgAfter" label="Pages of packages" />
      </Section>
      <Section title="Signatures and attestations">
        {image.signatures.length + image.attestations.length === 0 ? <p>None on record.</p> : null}
        <ul>
          {image.signatures.map((s) => (
            <li key={s.id}>
              {s.format} by {s.identity ?? s.verifier}: {s.valid ? 'valid' : `invalid (${s.reason ?? 'no reason'})`} · checked {formatTime(s.checkedAt)}
            </li>
          ))}
          {image.attestations.map((a) => (
            <li key={a.id}>
              attestation {a.predicateType ?? ''}: {a.valid ? 'valid' : `invalid (${a.reason ?? ''})`} · checked {formatTime(a.checkedAt)}
            </li>
          ))}
        </ul>
        <p>
          <Link to={`/findings?target=${encodeURIComponent(image.digest)}`}>All findings of this image</Link>
        </p>
      </Section>
    </>
  );
}

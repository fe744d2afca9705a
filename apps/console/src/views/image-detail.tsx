import { Link, useParams } from 'react-router-dom';
import { useClient, useQuery } from 'urql';
import { useState } from 'react';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager, FilterBar, SelectFilter } from '../components/filters';
import { nodesOf } from '../components/paged';
import type { ImageDetailQuery } from '../gql/graphql';
import { ErrorNote, formatTime, Loading, Section, SEVERITIES, SeverityBadge, StatusBadge, useUrlFilter } from '../ui';
import { downloadVex, SuppressControls } from './suppress';
import { downloadSbom } from './sbom';
import { ImageSecrets } from './image-secrets';

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
      suppressed: vulnerabilityCounts(status: [SUPPRESSED]) {
        total
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
          ...KeysetPage
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
          ...KeysetPage
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
  const vulnColumns: Column<(typeof vulns.edges)[number]['node']>[] = [
    { header: 'Advisory', cell: (node) => node.advisoryId, title: (node) => node.title },
    { header: 'Severity', cell: (node) => <SeverityBadge severity={node.severity} /> },
    { header: 'Package', cell: (node) => node.package.name },
    { header: 'Installed', cell: (node) => node.installedVersion },
    { header: 'Fixed in', cell: (node) => node.fixedVersion ?? 'no fix yet' },
    { header: 'Status', cell: (node) => <StatusBadge status={node.status} /> },
    { header: 'Action', role: 'operator', cell: (node) => <SuppressControls id={node.id} status={node.status} label={node.advisoryId} onDone={() => refetch({ requestPolicy: 'network-only' })} /> },
  ];
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
        </button>{' '}
        {image.suppressed.total > 0 ? (
          <button type="button" onClick={() => void downloadVex(client, image.digest).catch((e: Error) => setSbomError(e.message))}>
            Download VEX (OpenVEX, {image.suppressed.total} suppressed)
          </button>
        ) : null}
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
        <FilterBar labelled={false}>
          <SelectFilter id="vuln-status" label="Status" value={status} options={FINDING_STATUSES} any={false} onChange={(value) => update({ status: value })} />
          <SelectFilter id="vuln-severity" label="Severity" value={severity} options={SEVERITIES} onChange={(value) => update({ severity: value })} />
        </FilterBar>
        <DataTable caption={`Vulnerabilities (${status.toLowerCase()})`} columns={vulnColumns} rows={nodesOf(vulns)} rowKey={(node) => node.id} rowTestId="vulnerability" />
        <ConnectionPager connection={vulns} label="Pages of vulnerabilities" />
      </Section>
      <ImageSecrets digest={image.digest} />
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
        <DataTable caption="Packages by name" columns={PACKAGE_COLUMNS} rows={nodesOf(image.packages)} rowKey={(node) => node.id} />
        <ConnectionPager connection={image.packages} param="pkgAfter" label="Pages of packages" />
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

const FINDING_STATUSES = ['OPEN', 'SUPPRESSED', 'RESOLVED'] as const;

const PACKAGE_COLUMNS: Column<NonNullable<ImageDetailQuery['image']>['packages']['edges'][number]['node']>[] = [
  { header: 'Name', cell: (node) => node.name },
  { header: 'Version', cell: (node) => node.version },
  { header: 'Type', cell: (node) => node.type },
  { header: 'Layer', cell: (node) => (node.layer ? node.layer.slice(0, 19) : '—'), className: 'mono' },
];

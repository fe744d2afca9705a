import { useQuery } from 'urql';
import { graphql } from '../gql';
import { DataTable, type Column } from '../components/data-table';
import { ConnectionPager, FilterBar, SelectFilter } from '../components/filters';
import { nodesOf } from '../components/paged';
import type { ImageSecretsQuery } from '../gql/graphql';
import { ErrorNote, Loading, Section, SeverityBadge, StatusBadge, useUrlFilter } from '../ui';
import { SuppressControls } from './suppress';

/*
 * The secrets found in an image's files, apart from its vulnerabilities: rule, file and line, and
 * the matched line as the API gives it (every secret byte replaced by `*`: the platform never
 * stores a secret). Paged by `secAfter`, filtered by `secStatus` (default OPEN) in the URL.
 */

const SecretsQuery = graphql(`
  query ImageSecrets($digest: String!, $after: String, $status: [FindingStatus!]) {
    image(digest: $digest) {
      digest
      secrets(first: 50, after: $after, status: $status) {
        totalCount
        pageInfo {
          ...KeysetPage
        }
        edges {
          node {
            id
            ruleId
            title
            severity
            status
            category
            path
            line
            match
            removedInLaterLayer
          }
        }
      }
    }
  }
`);

type Secret = NonNullable<ImageSecretsQuery['image']>['secrets']['edges'][number]['node'];

const STATUSES = ['OPEN', 'SUPPRESSED', 'RESOLVED'] as const;

export function ImageSecrets({ digest }: { digest: string }) {
  const [params, update] = useUrlFilter();
  const status = params.get('secStatus') ?? 'OPEN';
  const [{ data, error, fetching }, refetch] = useQuery({ query: SecretsQuery, variables: { digest, after: params.get('secAfter'), status: [status as 'OPEN'] } });
  if (fetching && !data) return <Loading />;
  if (!data?.image) return <ErrorNote error={error ?? null} />;
  const secrets = data.image.secrets;
  const columns: Column<Secret>[] = [
    { header: 'Rule', cell: (s) => s.ruleId, title: (s) => s.title },
    { header: 'Severity', cell: (s) => <SeverityBadge severity={s.severity} /> },
    { header: 'File', cell: (s) => `${s.path}:${s.line}${s.removedInLaterLayer ? ' (removed by a later layer, still in the image)' : ''}`, className: 'mono' },
    { header: 'Match (redacted)', cell: (s) => <code>{s.match}</code> },
    { header: 'Status', cell: (s) => <StatusBadge status={s.status} /> },
    { header: 'Action', role: 'operator', cell: (s) => <SuppressControls id={s.id} status={s.status} label={`${s.ruleId} in ${s.path}:${s.line}`} onDone={() => refetch({ requestPolicy: 'network-only' })} /> },
  ];
  return (
    <Section title={`Secrets (${secrets.totalCount} ${status.toLowerCase()})`} id="h-secrets">
      <FilterBar labelled={false}>
        <SelectFilter id="secret-status" label="Status" value={status} options={STATUSES} any={false} onChange={(value) => update({ secStatus: value, secAfter: null })} />
      </FilterBar>
      {secrets.totalCount === 0 ? (
        <p>No {status.toLowerCase()} secret found in this image&apos;s files.</p>
      ) : (
        <DataTable caption={`Secrets (${status.toLowerCase()}), the matched text redacted`} columns={columns} rows={nodesOf(secrets)} rowKey={(s) => s.id} rowTestId="secret" />
      )}
      <ConnectionPager connection={secrets} param="secAfter" label="Pages of secrets" />
    </Section>
  );
}

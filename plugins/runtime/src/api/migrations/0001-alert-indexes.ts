import { findingDataExpression, findingKindPredicate, type PluginMigration } from '@bulkhead/plugin-sdk/api';
import { alertPodIndex } from './0002-alert-pod-index';
import { ALERT_IMAGE, ALERT_IMAGE_REPOSITORY, ALERT_NAMESPACE, ALERT_NAMESPACE_FALLBACK, ALERT_PRIORITY, ALERT_TIME } from '../alerts/alert-paths';

/*
 * Indexes for the `alerts` query: runtime findings hold a Falco alert in `data`, and the query
 * filters and orders on fields inside it. Partial expression indexes (runtime rows only) keep
 * each filter an index scan however many findings of other kinds exist. `data->>'time'` is
 * Falco's RFC 3339 UTC time with nanoseconds: as text it sorts chronologically, and unlike a
 * cast to timestamptz the expression is immutable, so indexable.
 *
 * The expressions come from the host's findingDataExpression, the function that also compiles
 * the query's FindingFilter conditions, over the same paths (alert-paths.ts): the index and the
 * query are the same SQL by construction, which the planner needs to use the index.
 *
 * Installations before the plugin owned these indexes: the core migration
 * RuntimeAlertIndexes1764460800000 created them, with these names and equal expressions, and it
 * stays in the core list (a shipped migration is never edited or removed). Every installation
 * therefore runs it before this step, which then finds the indexes and creates nothing
 * (IF NOT EXISTS). Dropping them in a new core migration and recreating them here was the
 * alternative; it was not taken because CREATE INDEX (in a transaction, so not CONCURRENTLY)
 * holds a write lock on `finding` while it reads every row: an upgrade of a large installation
 * would block ingest for minutes to rebuild identical indexes. A later change to these indexes
 * is a new step of this plugin (DROP INDEX IF EXISTS, then CREATE).
 */

const runtime = findingKindPredicate('runtime');
const time = findingDataExpression(ALERT_TIME);

/** Name → indexed columns, as created by RuntimeAlertIndexes1764460800000. */
export const ALERT_INDEXES: Readonly<Record<string, string>> = {
  IDX_finding_runtime_time: `(${time}), "id"`,
  IDX_finding_runtime_rule: `"rule_id", (${time})`,
  IDX_finding_runtime_priority: `(${findingDataExpression(ALERT_PRIORITY)}), (${time})`,
  IDX_finding_runtime_namespace: `(${findingDataExpression(ALERT_NAMESPACE, [ALERT_NAMESPACE_FALLBACK])}), (${time})`,
  IDX_finding_runtime_image_repository: `(${findingDataExpression(ALERT_IMAGE_REPOSITORY)}), (${time})`,
  IDX_finding_runtime_image: `(${findingDataExpression(ALERT_IMAGE)}), (${time})`,
};

export const alertIndexes: PluginMigration = {
  id: '0001-alert-indexes',
  async up(db) {
    for (const [name, columns] of Object.entries(ALERT_INDEXES)) {
      await db.query(`CREATE INDEX IF NOT EXISTS "${name}" ON "finding" (${columns}) WHERE ${runtime}`);
    }
  },
  async down(db) {
    for (const name of Object.keys(ALERT_INDEXES).reverse()) await db.query(`DROP INDEX IF EXISTS "${name}"`);
  },
};

/** The runtime plugin's migrations, in order. */
export const runtimeMigrations: readonly PluginMigration[] = [alertIndexes, alertPodIndex];

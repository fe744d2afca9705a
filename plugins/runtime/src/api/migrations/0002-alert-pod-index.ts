import { findingDataExpression, findingKindPredicate, type PluginMigration } from '@bulkhead/plugin-sdk/api';
import { ALERT_POD, ALERT_TIME } from '../alerts/alert-paths';

/*
 * The index of the alerts query's pod filter (AlertFilter.pod, output field k8s.pod.name), built
 * like the namespace index of 0001-alert-indexes: partial on runtime rows, the expression from the
 * host's findingDataExpression over the path the query uses (alert-paths.ts), then the alert time
 * so a pod's newest alerts are read in order.
 */

const time = findingDataExpression(ALERT_TIME);

/** Name → indexed columns. */
export const ALERT_POD_INDEXES: Readonly<Record<string, string>> = {
  IDX_finding_runtime_pod: `(${findingDataExpression(ALERT_POD)}), (${time})`,
};

export const alertPodIndex: PluginMigration = {
  id: '0002-alert-pod-index',
  async up(db) {
    for (const [name, columns] of Object.entries(ALERT_POD_INDEXES)) {
      await db.query(`CREATE INDEX IF NOT EXISTS "${name}" ON "finding" (${columns}) WHERE ${findingKindPredicate('runtime')}`);
    }
  },
  async down(db) {
    for (const name of Object.keys(ALERT_POD_INDEXES).reverse()) await db.query(`DROP INDEX IF EXISTS "${name}"`);
  },
};

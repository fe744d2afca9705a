import type { PluginKind, Severity } from '@bulkhead/plugin-sdk';
import type { FindingStatus } from './entities';

/** A finding row as raw SQL returns it (snake_case columns; see FINDING_COLUMNS in the SDK). */
export interface FindingRow {
  id: string;
  kind: PluginKind;
  severity: Severity;
  rule_id: string;
  title: string;
  target: string;
  location: string | null;
  data: Record<string, unknown>;
  fingerprint: string;
  task_id: string | null;
  first_seen_at: Date;
  last_seen_at: Date;
  status: FindingStatus;
  resolved_at: Date | null;
  reopened_at: Date | null;
}

/** RETURNING list of a statement on findings aliased `f`: a FindingRow. */
export const FINDING_RETURNING = `f.id, f.kind, f.severity, f.rule_id, f.title, f.target, f.location, f.data, f.fingerprint, f.task_id,
                 f.first_seen_at, f.last_seen_at, f.status, f.resolved_at, f.reopened_at`;

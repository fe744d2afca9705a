import { severityCounts, type ChildFinding, type ChildTaskOutcome } from '@bulkhead/plugin-sdk';
import {
  FINDING_RETURNING,
  FindingEntity,
  PRODUCER_SQL,
  SCOPE_SQL,
  TaskEntity,
  TaskFindingScopeEntity,
  TaskStatus,
  tableName,
  type FindingRow,
} from '@bulkhead/persistence';
import type { DataSource } from 'typeorm';

/**
 * Most findings a parent reads of one child. A policy must see all of them (a count that
 * stopped early could pass an image it should not), so past this the parent fails, saying so.
 */
export const MAX_CHILD_FINDINGS = 200_000;

/**
 * The outcome of a finished child task as its parent reads it: status, result, error, and the
 * findings it reported — those of every complete report it made (task_finding_scope: the
 * fingerprints it named, unchanged rows included) and those it last wrote under its own
 * producer and scope. Two indexed statements joined by UNION, never a scan of the team's findings.
 */
export async function readChildOutcome(dataSource: DataSource, child: TaskEntity): Promise<ChildTaskOutcome> {
  const findings = tableName(dataSource, FindingEntity);
  const tasks = tableName(dataSource, TaskEntity);
  const scopes = tableName(dataSource, TaskFindingScopeEntity);
  const rows: FindingRow[] = await dataSource.query(
    `SELECT ${FINDING_RETURNING} FROM ${tasks} t
       JOIN ${findings} f ON f.team = t.team AND f.producer = ${PRODUCER_SQL} AND f.scope = ${SCOPE_SQL} AND f.task_id = t.id
      WHERE t.id = $1
     UNION
     SELECT ${FINDING_RETURNING} FROM ${scopes} s
       JOIN ${findings} f ON f.team = s.team AND f.producer = s.producer AND f.scope = s.scope AND f.fingerprint = ANY(s.fingerprints)
      WHERE s.task_id = $1
     LIMIT $2`,
    [child.id, MAX_CHILD_FINDINGS + 1],
  );
  if (rows.length > MAX_CHILD_FINDINGS) throw new Error(`child task ${child.id} reported more than ${MAX_CHILD_FINDINGS} findings: too many for its parent to judge`);
  const list: ChildFinding[] = rows
    .map((row) => ({
      id: row.id,
      kind: row.kind,
      severity: row.severity,
      ruleId: row.rule_id,
      title: row.title,
      target: row.target,
      ...(row.location !== null ? { location: row.location } : {}),
      data: row.data,
      fingerprint: row.fingerprint,
      status: row.status as ChildFinding['status'],
    }))
    // A stable order, so a decision that names "the first CRITICAL finding" names the same one every time.
    .sort((a, b) => a.target.localeCompare(b.target) || a.ruleId.localeCompare(b.ruleId) || a.fingerprint.localeCompare(b.fingerprint));
  const status = child.status === TaskStatus.SUCCEEDED ? 'SUCCEEDED' : child.status === TaskStatus.CANCELLED ? 'CANCELLED' : 'FAILED';
  return {
    kind: child.kind,
    type: child.type,
    taskId: child.id,
    status,
    output: status === 'SUCCEEDED' ? (child.result ?? null) : null,
    ...(status === 'FAILED' ? { error: child.error ?? 'failed' } : status === 'CANCELLED' ? { error: 'cancelled' } : {}),
    findings: list,
    severityCounts: severityCounts(list),
  };
}

import { InitialSchema1751328000000 } from './1751328000000-initial-schema';
import { RuntimeAlertIndexes1764460800000 } from './1764460800000-runtime-alert-indexes';
import { PluginMigrationTable1765000000000 } from './1765000000000-plugin-migration-table';
import { ImageIdentity1765152000000 } from './1765152000000-image-identity';
import { TaskProvenance1765152000001 } from './1765152000001-task-provenance';
import { FindingLifecycle1765152000002 } from './1765152000002-finding-lifecycle';
import { TeamScoping1765238400000 } from './1765238400000-team-scoping';
import { ApiTokensAuditLog1765300000000 } from './1765300000000-api-tokens-audit-log';
import { Uploads1765400000000 } from './1765400000000-uploads';
import { FindingReportsPackagePath1765500000000 } from './1765500000000-finding-reports-package-path';
import { FindingSeverityIndex1765500000001 } from './1765500000001-finding-severity-index';
import { RematchPartialReportsNameKeys1765710000000 } from './1765710000000-rematch-partial-reports-name-keys';
import { OpsSchedulesTable1765800000000 } from './1765800000000-ops-schedules-table';
import { OpsNotifyChannels1765800000001 } from './1765800000001-ops-notify-channels';
import { NotifySecretSealed1765810000000 } from './1765810000000-notify-secret-sealed';
import { ScheduleOwnerAndTaskIndex1765810000001 } from './1765810000001-schedule-owner-and-task-index';
import { CheapTasks1765900000000 } from './1765900000000-cheap-tasks';
import { FindingCounts1765900000001 } from './1765900000001-finding-counts';
import { FindingSuppression1766000000000 } from './1766000000000-finding-suppression';
import { FindingOpenDaily1766000000100 } from './1766000000100-finding-open-daily';
import { TaskLog1766000000200 } from './1766000000200-task-log';
import { ApiTokenChangeNotify1766000000400 } from './1766000000400-api-token-change-notify';
import { TaskSparseIndexes1766000000500 } from './1766000000500-task-sparse-indexes';
import { FindingTaskPageIndex1766000000600 } from './1766000000600-finding-task-page-index';

export {
  InitialSchema1751328000000,
  RuntimeAlertIndexes1764460800000,
  PluginMigrationTable1765000000000,
  ImageIdentity1765152000000,
  TaskProvenance1765152000001,
  FindingLifecycle1765152000002,
  TeamScoping1765238400000,
  ApiTokensAuditLog1765300000000,
  Uploads1765400000000,
  FindingReportsPackagePath1765500000000,
  FindingSeverityIndex1765500000001,
  RematchPartialReportsNameKeys1765710000000,
  OpsSchedulesTable1765800000000,
  OpsNotifyChannels1765800000001,
  NotifySecretSealed1765810000000,
  ScheduleOwnerAndTaskIndex1765810000001,
  CheapTasks1765900000000,
  FindingCounts1765900000001,
  FindingSuppression1766000000000,
  FindingOpenDaily1766000000100,
  TaskLog1766000000200,
  ApiTokenChangeNotify1766000000400,
  TaskSparseIndexes1766000000500,
  FindingTaskPageIndex1766000000600,
};

/** Every migration, oldest first, listed explicitly (no globs). */
export const migrations = [
  InitialSchema1751328000000,
  RuntimeAlertIndexes1764460800000,
  PluginMigrationTable1765000000000,
  ImageIdentity1765152000000,
  TaskProvenance1765152000001,
  FindingLifecycle1765152000002,
  TeamScoping1765238400000,
  ApiTokensAuditLog1765300000000,
  Uploads1765400000000,
  FindingReportsPackagePath1765500000000,
  FindingSeverityIndex1765500000001,
  RematchPartialReportsNameKeys1765710000000,
  OpsSchedulesTable1765800000000,
  OpsNotifyChannels1765800000001,
  NotifySecretSealed1765810000000,
  ScheduleOwnerAndTaskIndex1765810000001,
  CheapTasks1765900000000,
  FindingCounts1765900000001,
  FindingSuppression1766000000000,
  FindingOpenDaily1766000000100,
  TaskLog1766000000200,
  ApiTokenChangeNotify1766000000400,
  TaskSparseIndexes1766000000500,
  FindingTaskPageIndex1766000000600,
];

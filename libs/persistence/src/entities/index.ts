import { ArtifactEntity } from './artifact.entity';
import { FindingEntity } from './finding.entity';
import { PackageEntity } from './package.entity';
import { TaskEntity } from './task.entity';
import { ApiTokenEntity } from './api-token.entity';
import { AuditLogEntity } from './audit-log.entity';
import { TaskFindingScopeEntity } from './task-finding-scope.entity';
import { UploadEntity } from './upload.entity';
import { ScheduleEntity } from './schedule.entity';

export * from './task.entity';
export * from './artifact.entity';
export * from './package.entity';
export * from './finding.entity';
export * from './api-token.entity';
export * from './audit-log.entity';
export * from './task-finding-scope.entity';
export * from './upload.entity';
export * from './schedule.entity';

/** Every entity, listed explicitly (no globs: what is registered is what is reviewed). */
export const entities = [TaskEntity, ArtifactEntity, PackageEntity, FindingEntity, ApiTokenEntity, AuditLogEntity, TaskFindingScopeEntity, UploadEntity, ScheduleEntity];

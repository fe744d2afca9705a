import { ArtifactEntity } from './artifact.entity';
import { FindingEntity } from './finding.entity';
import { PackageEntity } from './package.entity';
import { TaskEntity } from './task.entity';

export * from './task.entity';
export * from './artifact.entity';
export * from './package.entity';
export * from './finding.entity';

/** Every entity, listed explicitly (no globs: what is registered is what is reviewed). */
export const entities = [TaskEntity, ArtifactEntity, PackageEntity, FindingEntity];

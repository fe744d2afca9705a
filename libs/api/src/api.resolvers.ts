import { AccessResolver } from './access/access.resolver';
import { FindingCountImageResolver, FindingImageResolver } from './findings/finding-image.resolver';
import { FindingResolver } from './findings/finding.resolver';
import { VexResolver } from './findings/vex.resolver';
import { FindingTrendResolver } from './findings/finding-trend.resolver';
import { ImageResolver } from './images/image.resolver';
import { PluginsResolver } from './plugins/plugins.resolver';
import { TaskResolver } from './tasks/task.resolver';
import { TaskQueueHealthResolver } from './tasks/task-queue-health.resolver';
import { ScheduleResolver } from './schedules/schedule.resolver';
import { UploadResolver } from './uploads/upload.resolver';
import { NotifyResolver } from './notify/notify.resolver';
import { ViewerResolver } from './access/viewer.resolver';
import { ProbeResolver } from './probe/probe.resolver';

/** Every resolver of the API, shared by ApiModule and the schema printer so they cannot differ. */
export const API_RESOLVERS = [PluginsResolver, TaskResolver, ImageResolver, FindingResolver, FindingImageResolver, FindingCountImageResolver, FindingTrendResolver, TaskQueueHealthResolver, AccessResolver, UploadResolver, ScheduleResolver, NotifyResolver, ViewerResolver, ProbeResolver, VexResolver];

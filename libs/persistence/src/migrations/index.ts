import { InitialSchema1751328000000 } from './1751328000000-initial-schema';
import { RuntimeAlertIndexes1764460800000 } from './1764460800000-runtime-alert-indexes';

export { InitialSchema1751328000000, RuntimeAlertIndexes1764460800000 };

/** Every migration, oldest first, listed explicitly (no globs). */
export const migrations = [InitialSchema1751328000000, RuntimeAlertIndexes1764460800000];

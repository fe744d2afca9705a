import { InitialSchema1751328000000 } from './1751328000000-initial-schema';

export { InitialSchema1751328000000 };

/** Every migration, oldest first, listed explicitly (no globs). */
export const migrations = [InitialSchema1751328000000];

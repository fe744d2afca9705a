/** Task types of the server-side advisory work (persisted names: never rename). */
export const IMPORT_ADVISORIES_TASK = { kind: 'scanner', type: 'import-advisories' } as const;
export const UPDATE_ADVISORIES_TASK = { kind: 'scanner', type: 'update-advisories' } as const;
export const REMATCH_VULNERABILITIES_TASK = { kind: 'scanner', type: 'rematch-vulnerabilities' } as const;

/** Paths one import may name. */
export const MAX_IMPORT_PATHS = 100;
/** Feeds one update may fetch. */
export const MAX_UPDATE_FEEDS = 50;
/** Images one re-matching task covers (a team with more is split into tasks of this many). */
export const REMATCH_BATCH_IMAGES = 500;

/** The producer of vulnerability findings; their scope is the image id (FindingReport). */
export const VULNERABILITY_PRODUCER = 'scanner/vulnerability';

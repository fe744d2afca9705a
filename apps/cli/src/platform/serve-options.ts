export const SERVE_ROLES = ['all', 'api', 'worker'] as const;
export type ServeRole = (typeof SERVE_ROLES)[number];

export interface ServeOptions {
  port?: string;
  host?: string;
  role: string;
}

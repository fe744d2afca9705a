/** The GCM additional data of a scan's sealed credential (credential-key.ts): it opens for this team's row only. */
export function credentialBinding(team: string, scanId: string): string {
  return `harbor-scan\u0000${team}\u0000${scanId}`;
}

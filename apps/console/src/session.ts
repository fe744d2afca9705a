/**
 * Where the console keeps the API token: sessionStorage only (gone when the tab closes, never
 * in a URL, a cookie or localStorage), so a link or a browser history never carries it.
 */
const KEY = 'bulkhead.token';

export function storedToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
}

/** The shape of a Bulkhead API token (bhk_ + base64url); anything else is refused before it is sent. */
export function looksLikeToken(value: string): boolean {
  return /^bhk_[A-Za-z0-9_-]{20,200}$/.test(value);
}

export type Role = 'viewer' | 'operator' | 'admin';
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];

/** Mirrors the API's rule (viewer < operator < admin) to decide which controls to offer; the API still decides. */
export function roleAllows(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}

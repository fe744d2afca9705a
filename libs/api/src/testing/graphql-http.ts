/** A tiny GraphQL-over-HTTP helper for integration tests. */

/**
 * The token each test API sends by default (startTestPlatform registers the admin token it
 * creates under the API's URL); pass `{ token }` to send another one, or `{ token: null }` for none.
 */
const defaultTokens = new Map<string, string>();

export function setDefaultToken(baseUrl: string, token: string | undefined): void {
  if (token === undefined) defaultTokens.delete(baseUrl);
  else defaultTokens.set(baseUrl, token);
}

export function defaultToken(baseUrl: string): string | undefined {
  return defaultTokens.get(baseUrl);
}

/** `Authorization` header for `token` (default: the API's registered token; null: none). */
export function authHeaders(baseUrl: string, token?: string | null): Record<string, string> {
  const secret = token === undefined ? defaultTokens.get(baseUrl) : token;
  return secret ? { authorization: `Bearer ${secret}` } : {};
}

export interface RequestAs {
  /** The API token to send (default: the one registered for the API; null: none). */
  token?: string | null;
}

export interface GraphqlResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function graphql<T = Record<string, unknown>>(baseUrl: string, query: string, variables: Record<string, unknown> = {}, as: RequestAs = {}): Promise<GraphqlResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders(baseUrl, as.token) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphqlResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** Like graphql() but fails on any error, returning data. */
export async function graphqlData<T = Record<string, unknown>>(baseUrl: string, query: string, variables: Record<string, unknown> = {}, as: RequestAs = {}): Promise<T> {
  const result = await graphql<T>(baseUrl, query, variables, as);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors ?? result)}`);
  return result.data;
}

/** A tiny GraphQL-over-HTTP helper for integration tests. */
export interface GraphqlResponse<T> {
  status: number;
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

export async function graphql<T = Record<string, unknown>>(baseUrl: string, query: string, variables: Record<string, unknown> = {}): Promise<GraphqlResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as Omit<GraphqlResponse<T>, 'status'>;
  return { status: response.status, ...body };
}

/** Like graphql() but fails on any error, returning data. */
export async function graphqlData<T = Record<string, unknown>>(baseUrl: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const result = await graphql<T>(baseUrl, query, variables);
  if (result.errors?.length || !result.data) throw new Error(`GraphQL errors: ${JSON.stringify(result.errors ?? result)}`);
  return result.data;
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** A plain HTTP POST to a route of the API (ingest endpoints, malformed GraphQL bodies). */
export async function httpPost(baseUrl: string, path: string, body: string | Uint8Array, options: { contentType?: string; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.contentType !== undefined) headers['content-type'] = options.contentType;
  const response = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

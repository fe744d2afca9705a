import { Agent, request } from 'node:http';

/**
 * A lean GraphQL-over-HTTP client for benchmarks: node:http on keep-alive connections. Global
 * fetch (undici) spent about 0.5 ms of the benchmark process's CPU per request (web streams,
 * its fetch algorithm), which the benchmarks that share a process with the platform, or compare
 * the API with a pg query, would count against the platform.
 */
export class GraphqlClient {
  private readonly agent = new Agent({ keepAlive: true });
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly token: string,
  ) {
    this.url = new URL('/graphql', baseUrl);
  }

  /** The parsed JSON answer (data and errors as the server sent them); rejects on a non-JSON answer. */
  post<T = unknown>(query: string, variables?: Record<string, unknown>): Promise<T> {
    const body = JSON.stringify(variables ? { query, variables } : { query });
    return new Promise<T>((resolve, reject) => {
      const call = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${this.token}` },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            try {
              resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T);
            } catch {
              reject(new Error(`HTTP ${response.statusCode}: not a JSON answer`));
            }
          });
          response.on('error', reject);
        },
      );
      call.on('error', reject);
      call.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

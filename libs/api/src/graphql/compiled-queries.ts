import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestListener } from '@apollo/server';
import { visit, type DocumentNode, type ExecutionResult } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

export interface CompiledQueriesOptions {
  /** Compiled documents kept (least recently used goes first); 0 turns compilation off. */
  maxEntries: number;
  /**
   * Runs of a document with graphql-js before it is compiled: compiling costs several times one
   * execution, so a document seen once (a hand-typed query, a probe) is never compiled.
   */
  compileAfter?: number;
  /**
   * Largest document compiled, in field selections (fragments included). Compiling grows faster
   * than the document: ~1 ms for a 12-field page, 6 ms at 48 fields, 50+ ms at 240.
   */
  maxFields?: number;
  /**
   * Compile time allowed per second of wall time, on average (a burst of five seconds' worth):
   * a client sending ever new documents twice each makes the server compile, and this bounds
   * what that costs the process. Documents over budget run through graphql-js meanwhile.
   */
  budgetMsPerSecond?: number;
  /** For tests: the clock (ms) and the compiler. */
  now?: () => number;
  compile?: typeof compileQuery;
}

/**
 * graphql-jit writes literal argument values into the code it compiles as JSON, then turns its
 * own marker strings back into `NaN`, `Infinity` and `new Date(…)` with a regular expression
 * over that text. The markers are constants of its published source, so a string literal that
 * starts with one smuggles code past JSON's quoting: `"__MAGIC_DATE__<uuid>1)&&process.exit()||new
 * Date(1"` runs `process.exit()` in the server (compiled-queries.spec.ts shows it). No document
 * carrying the markers' common prefix, in any string or name, is ever compiled.
 */
const JIT_MARKER = '__MAGIC_';

/** Whether a document may be compiled: at most `maxFields` field selections (fragments included), and no graphql-jit marker anywhere. */
function compilable(document: DocumentNode, maxFields: number): boolean {
  let fields = 0;
  let marked = false;
  visit(document, {
    Field() {
      fields++;
    },
    StringValue(node) {
      if (node.value.includes(JIT_MARKER)) marked = true;
    },
    Name(node) {
      if (node.value.includes(JIT_MARKER)) marked = true;
    },
  });
  return !marked && fields <= maxFields;
}

/** A Map kept in use order: a read moves the entry to the back, an insert over the bound drops the front. */
class UseOrderedMap<V> {
  private readonly entries = new Map<string, V>();

  constructor(private readonly maxEntries: number) {}

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/**
 * Runs queries through graphql-jit, which compiles a document into a function of the schema's
 * resolvers. graphql-js interprets the document for every field of every row (two fresh
 * dictionary objects per field: arguments, sub-fields); the compiled form walks the same
 * resolvers without that. Measured (issue 15, ARCHITECTURE §6d): a page of 50 findings p50
 * 3.8 → 3.2 ms, of 200 findings 6.0 → 4.7 ms; the p95 is set by other garbage and stays.
 *
 * Only what is safe to run twice takes this path: queries (reads), once Apollo has parsed,
 * validated and checked them (the access and request-limit plugins' `didResolveOperation` run
 * before `responseForOperation`). A result with any error is dropped and graphql-js runs the
 * query again, so every error a client sees is produced, coded, located and formatted exactly
 * as before; the cost is one more run, once per document: one that erred is not compiled again
 * while it stays cached. Mutations and subscriptions are never compiled (a mutation must not
 * run twice).
 *
 * Resolvers are the schema's own (Nest puts every resolver there), so no rootValue is passed.
 *
 * An attacker's view: compiling costs far more than one run (a 240-field document 50+ ms), and
 * anyone may send new documents. So documents are keyed by Apollo's query hash and the
 * operation name in two bounded tables (endless distinct documents cost a counter entry each),
 * a document is compiled only on its run after `compileAfter`, only up to `maxFields` fields,
 * and only while the compile budget (`budgetMsPerSecond`) lasts: at the defaults, compiling
 * can never take more than 5% of the process over time, whatever clients send.
 */
export class CompiledQueriesPlugin implements ApolloServerPlugin<object> {
  /** Runs so far of documents not compiled yet. */
  private readonly runs: UseOrderedMap<number>;
  /** Compiled documents, or `false` where graphql-jit refused one. */
  private readonly compiled: UseOrderedMap<CompiledQuery | false>;
  private readonly compileAfter: number;
  private readonly maxFields: number;
  private readonly budgetMsPerSecond: number;
  private readonly now: () => number;
  private readonly compile: typeof compileQuery;
  private readonly enabled: boolean;
  /** Compile milliseconds available now (a token bucket; negative after a compile that overran it). */
  private budgetMs: number;
  private budgetAt: number;
  /** Queries answered by compiled code, and compiled runs that erred and were answered by graphql-js (what tests observe). */
  readonly stats = { compiled: 0, fallbacks: 0 };

  constructor(options: CompiledQueriesOptions) {
    this.enabled = options.maxEntries > 0;
    this.runs = new UseOrderedMap(Math.max(1, options.maxEntries) * 10);
    this.compiled = new UseOrderedMap(Math.max(1, options.maxEntries));
    this.compileAfter = options.compileAfter ?? 1;
    this.maxFields = options.maxFields ?? 100;
    this.budgetMsPerSecond = options.budgetMsPerSecond ?? 50;
    this.now = options.now ?? (() => performance.now());
    this.compile = options.compile ?? compileQuery;
    this.budgetMs = this.budgetMsPerSecond * 5;
    this.budgetAt = this.now();
  }

  async requestDidStart(): Promise<GraphQLRequestListener<object> | void> {
    if (!this.enabled) return undefined;
    return {
      responseForOperation: async ({ operation, document, queryHash, operationName, schema, contextValue, request }) => {
        if (operation.operation !== 'query') return null;
        const key = `${queryHash}\u0000${operationName ?? ''}`;
        const compiled = this.compiledFor(key, document, () => this.compile(schema, document, operationName ?? undefined));
        if (!compiled) return null;
        let result: ExecutionResult | undefined;
        try {
          result = await compiled.query(undefined, contextValue, request.variables ?? {});
        } catch {
          // graphql-jit collects the resolvers' errors in its result; a throw is its own fault.
        }
        if (!result || result.errors?.length) {
          // Not compiled again while cached: a document that errs would otherwise run twice every time.
          this.compiled.set(key, false);
          this.stats.fallbacks++;
          return null;
        }
        this.stats.compiled++;
        return { http: { status: undefined, headers: new HeaderMap() }, body: { kind: 'single', singleResult: { data: result.data } } };
      },
    };
  }

  /** The compiled form once the document has run `compileAfter` times through graphql-js; counts this run otherwise. */
  private compiledFor(key: string, document: DocumentNode, compile: () => CompiledQuery | ExecutionResult): CompiledQuery | undefined {
    const known = this.compiled.get(key);
    if (known !== undefined) return known || undefined;
    const runs = (this.runs.get(key) ?? 0) + 1;
    if (runs <= this.compileAfter || !this.budgetLeft()) {
      this.runs.set(key, runs);
      return undefined;
    }
    this.runs.delete(key);
    let compiled: CompiledQuery | false = false;
    if (compilable(document, this.maxFields)) {
      const started = this.now();
      try {
        const outcome = compile();
        compiled = isCompiledQuery(outcome) ? outcome : false;
      } catch {
        // A construct graphql-jit does not handle: graphql-js answers this document from now on.
      }
      this.budgetMs -= this.now() - started;
    }
    this.compiled.set(key, compiled);
    return compiled || undefined;
  }

  /** Refills the compile budget for the time passed; true when some is left. */
  private budgetLeft(): boolean {
    const now = this.now();
    this.budgetMs = Math.min(this.budgetMsPerSecond * 5, this.budgetMs + ((now - this.budgetAt) / 1000) * this.budgetMsPerSecond);
    this.budgetAt = now;
    return this.budgetMs > 0;
  }
}

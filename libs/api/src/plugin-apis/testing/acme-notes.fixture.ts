import { Controller, Get, Inject, Module, Post, Req, Res, type DynamicModule } from '@nestjs/common';
import { Args, Field, ID, Int, Mutation, ObjectType, Query, Resolver, Subscription } from '@nestjs/graphql';
import { definePlugin, defineTask, type FindingResult } from '@bulkhead/plugin-sdk';
import {
  connectionOf,
  ConnectionType,
  definePluginApi,
  findingDataExpression,
  findingKindPredicate,
  GraphQLJSON,
  HOST_BODY_READER,
  HOST_FINDINGS,
  HOST_REQUEST_CONTEXT,
  PLUGIN_DATABASE,
  RequireRole,
  type HostRequestContext,
  type HostBodyReader,
  type HostFindings,
  type HostRequest,
  type PluginApi,
  type PluginDatabase,
  type PluginMigration,
} from '@bulkhead/plugin-sdk/api';
import { z } from 'zod';
import type { ApiPluginPackage } from '../load-plugin-apis';

/*
 * A plugin package as an outside author would write it, using only the SDK and Nest: a new
 * result kind ("notes" as signer-kind findings), its own table (two migrations), a config
 * variable, a GraphQL query and mutation over HostFindings and its table, and a plain HTTP
 * ingest route reading its body with HostBodyReader.
 */

const CONFIG = Symbol('ACME_NOTES_CONFIG');
const NOTE_KIND = 'signer';

export const acmeNotesPlugin = definePlugin({
  manifest: { id: 'acme.notes', version: '1.0.0', kind: 'signer', phases: ['ship'], description: 'notes about images (test fixture)' },
  tasks: [defineTask({ type: 'annotate', description: 'notes on an image', input: z.object({ image: z.string().min(1) }), run: async () => null })],
});

@ObjectType('AcmeNote')
class Note {
  @Field(() => ID)
  id!: string;

  @Field()
  text!: string;

  @Field(() => String, { nullable: true })
  author!: string | null;

  @Field(() => GraphQLJSON)
  data!: Record<string, unknown>;
}

@ObjectType()
class AcmeNoteConnection extends ConnectionType(Note, 'AcmeNote') {}

@ObjectType()
class AcmeSettings {
  @Field()
  greeting!: string;

  @Field(() => Int)
  limit!: number;

  @Field(() => [String])
  tableRows!: string[];
}

@Resolver()
class NotesResolver {
  constructor(
    @Inject(HOST_FINDINGS) private readonly findings: HostFindings,
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(CONFIG) private readonly config: { ACME_GREETING: string; ACME_LIMIT: number },
  ) {}

  @Query(() => AcmeSettings)
  async acmeSettings(): Promise<AcmeSettings> {
    const rows = await this.db.query<{ label: string }>('SELECT label FROM acme_note_label ORDER BY label');
    return { greeting: this.config.ACME_GREETING, limit: this.config.ACME_LIMIT, tableRows: rows.map((r) => r.label) };
  }

  @Query(() => AcmeNoteConnection)
  async acmeNotes(
    @Args('author', { type: () => String, nullable: true }) author?: string | null,
    @Args('first', { type: () => Int, nullable: true }) first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<AcmeNoteConnection> {
    const page = await this.findings.query(
      { kinds: [NOTE_KIND], ...(author ? { data: [{ path: ['meta', 'author'], fallbackPaths: [['by']], equals: author }] } : {}) },
      { ...(first ? { first } : {}), ...(after ? { after } : {}) },
      { dataPath: ['at'], descending: true },
    );
    return connectionOf(page, (f) => ({ id: f.id, text: f.title, author: (f.data['meta'] as { author?: string } | undefined)?.author ?? (f.data['by'] as string | undefined) ?? null, data: f.data }));
  }

  @Mutation(() => Int)
  async acmeAddNotes(@Args('texts', { type: () => [String] }) texts: string[], @Args('author') author: string): Promise<number> {
    const stored = await this.findings.record(texts.map((text, i) => noteFinding(text, author, `2025-01-01T00:00:0${i}Z`)));
    return stored.length;
  }
}

export function noteFinding(text: string, author: string, at: string): FindingResult {
  return { kind: NOTE_KIND, severity: 'INFO', ruleId: 'acme-note', title: text, target: `note:${text}`, fingerprint: `note:${text}`, data: { at, meta: { author } } };
}

interface JsonResponse {
  status(code: number): unknown;
}

@Controller('acme-notes')
class NotesIngestController {
  constructor(
    @Inject(HOST_BODY_READER) private readonly bodies: HostBodyReader,
    @Inject(HOST_FINDINGS) private readonly findings: HostFindings,
  ) {}

  /** One note per JSON line `{"text", "author", "at"}`. */
  @Post()
  async ingest(@Req() request: HostRequest, @Res({ passthrough: true }) response: JsonResponse): Promise<Record<string, unknown>> {
    const notes: FindingResult[] = [];
    const tooLong: number[] = [];
    for await (const line of this.bodies.lines(request)) {
      if ('tooLarge' in line) tooLong.push(line.number);
      else {
        const { text, author, at } = JSON.parse(line.text) as { text: string; author: string; at: string };
        notes.push(noteFinding(text, author, at));
      }
    }
    const stored = await this.findings.record(notes);
    response.status(200);
    return { stored: stored.length, tooLong };
  }
}

export const closed: string[] = [];

const migrations: PluginMigration[] = [
  { id: '0001-labels', up: async (db) => void (await db.query('CREATE TABLE acme_note_label (label text PRIMARY KEY)')) },
  { id: '0002-seed', up: async (db) => void (await db.query(`INSERT INTO acme_note_label (label) VALUES ($1), ($2)`, ['first', 'second'])) },
  {
    id: '0003-note-index',
    // The same expression the host compiles for `order: { dataPath: ['at'] }`.
    up: async (db) => void (await db.query(`CREATE INDEX acme_note_at ON finding ((${findingDataExpression(['at'])}), id) WHERE ${findingKindPredicate(NOTE_KIND)}`)),
  },
];

const configSchema = z.object({
  ACME_GREETING: z.string().min(1).default('hello'),
  ACME_LIMIT: z.coerce.number().int().min(1).default(10),
});

/** The api entry, with its Nest module as a DynamicModule (config provided). */
export const acmeNotesApi: PluginApi<typeof configSchema> = definePluginApi({
  config: configSchema,
  migrations,
  module: ({ config }): DynamicModule => ({
    module: AcmeNotesModule,
    providers: [{ provide: CONFIG, useValue: config }, NotesResolver],
    controllers: [NotesIngestController],
  }),
  close: async () => void closed.push('acme.notes'),
});

@Module({})
class AcmeNotesModule {}

export function acmeNotesPackage(api: PluginApi | undefined = acmeNotesApi as unknown as PluginApi): ApiPluginPackage {
  return { name: 'acme-notes', plugin: acmeNotesPlugin, loadApi: async () => api };
}

// ---- a second plugin whose module() returns a plain Nest module class ----------------------

/** `team/name/role` of the request's principal as a plugin sees it (HOST_REQUEST_CONTEXT). */
function whoAmI(context: HostRequestContext): string {
  const principal = context.principal();
  return principal ? `${principal.team}/${principal.name}/${principal.role}` : 'nobody';
}

@Resolver()
class PingResolver {
  constructor(@Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext) {}

  @Query(() => String)
  acmePing(): string {
    return 'pong';
  }

  @Query(() => String)
  async acmeWhoAmI(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return whoAmI(this.context);
  }

  /** The principal when the subscription starts, then after a timer (the context follows awaits). */
  @Subscription(() => String, { resolve: (value: string) => value })
  acmeWhoAmIEvents(): AsyncIterableIterator<string> {
    const context = this.context;
    return (async function* () {
      yield whoAmI(context);
      await new Promise((resolve) => setTimeout(resolve, 5));
      yield whoAmI(context);
    })();
  }
}

@Controller('acme-whoami')
@RequireRole('viewer')
class WhoAmIController {
  constructor(@Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext) {}

  @Get()
  get(): { principal: string } {
    return { principal: whoAmI(this.context) };
  }
}

@Module({ providers: [PingResolver], controllers: [WhoAmIController] })
class PingModule {}

export const acmePingPlugin = definePlugin({
  manifest: { id: 'acme.ping', version: '0.1.0', kind: 'signer', phases: ['ship'], description: 'a plain module class (test fixture)' },
  tasks: [],
});

export function acmePingPackage(): ApiPluginPackage {
  return { name: 'acme-ping', plugin: acmePingPlugin, loadApi: async () => definePluginApi({ module: () => PingModule }) as unknown as PluginApi };
}

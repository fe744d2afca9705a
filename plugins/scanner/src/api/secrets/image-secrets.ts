import { Inject, type Type } from '@nestjs/common';
import { Args, ArgsType, Field, ID, Int, ObjectType, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { ConnectionType, HOST_FINDINGS, hostGraphqlType, Severity, type Connection, type FindingStatus, type HostFindings, type HostImageParent, type StoredFinding } from '@bulkhead/plugin-sdk/api';
import { GraphQLError } from 'graphql';
import type { SecretFindingData } from '../../findings/finding-data';

/*
 * `Image.secrets`: the secret findings of an image (kind `scanner`, data.findingType `secret`)
 * on their own, so a page of them is not buried among the image's vulnerabilities in `findings`.
 * Only what the scanner stored is returned, and it never stores a secret: `match` is the line
 * with every secret byte replaced by `*` (secrets/scanner.ts).
 */

const DEFAULT_PAGE = 50;
const MAX_PAGE = 500;

@ObjectType({ description: 'A secret found in a file of an image (the secret itself is never stored or returned).' })
export class ImageSecret {
  @Field(() => ID, { description: 'The finding id (suppress it like any finding).' })
  id!: string;

  @Field({ description: 'The rule that matched, e.g. aws-access-key-id.' })
  ruleId!: string;

  @Field()
  title!: string;

  @Field(() => Severity)
  severity!: Severity;

  @Field(() => hostGraphqlType('FindingStatus'))
  status!: FindingStatus;

  @Field({ description: 'The rule category, e.g. AWS.' })
  category!: string;

  @Field({ description: 'The file, in the layer that added it.' })
  path!: string;

  @Field(() => Int, { description: '1-based line of the secret.' })
  line!: number;

  @Field({ description: 'The matched line with every secret byte replaced by `*`.' })
  match!: string;

  @Field(() => String, { nullable: true, description: 'Digest of the layer holding the file.' })
  layer!: string | null;

  @Field({ description: 'A later layer deleted or replaced the file: the secret is still in the image, in that layer.' })
  removedInLaterLayer!: boolean;
}

@ObjectType()
export class ImageSecretConnection extends ConnectionType(ImageSecret, 'ImageSecret') {}

@ArgsType()
export class ImageSecretArgs {
  @Field(() => Int, { nullable: true, description: 'Page size, 1 to 500 (default 50).' })
  first?: number | null;

  @Field(() => String, { nullable: true, description: 'endCursor of the previous page.' })
  after?: string | null;

  @Field(() => [hostGraphqlType('FindingStatus')], { nullable: true, description: 'Any of these lifecycle states (default: all).' })
  status?: FindingStatus[] | null;
}

function badUserInput(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

/** A stored secret finding as the API shows it: only the redacted fields, whatever else `data` may hold. */
export function toImageSecret(finding: StoredFinding): ImageSecret {
  const data = finding.data as Partial<SecretFindingData>;
  return {
    id: finding.id,
    ruleId: finding.ruleId,
    title: finding.title,
    severity: finding.severity as Severity,
    status: finding.status,
    category: typeof data.category === 'string' ? data.category : '',
    path: typeof data.path === 'string' ? data.path : '',
    line: typeof data.line === 'number' ? data.line : 0,
    match: typeof data.match === 'string' ? data.match : '',
    layer: typeof data.layer === 'string' ? data.layer : null,
    removedInLaterLayer: data.removedInLaterLayer === true,
  };
}

/** Declared when the module is built: the host's Image type exists only inside the API. */
export function imageSecretsResolver(): Type {
  @Resolver(() => hostGraphqlType('Image'))
  class ImageSecretsResolver {
    constructor(@Inject(HOST_FINDINGS) private readonly findings: HostFindings) {}

    @ResolveField(() => ImageSecretConnection, { description: 'Secrets found in the image’s files (redacted), by file and line as most recently seen first.' })
    async secrets(@Parent() image: HostImageParent, @Args() args: ImageSecretArgs): Promise<Connection<ImageSecret>> {
      const first = args.first ?? DEFAULT_PAGE;
      if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) throw badUserInput(`first: ${first} is not between 1 and ${MAX_PAGE}`);
      const page = await this.findings
        .query({ kinds: ['scanner'], targets: [image.digest], data: [{ path: ['findingType'], equals: 'secret' }], ...(args.status?.length ? { statuses: args.status } : {}) }, { first, after: args.after ?? null })
        .catch((error: unknown) => {
          // Nest runs no exception filter on field resolvers: a forged `after` is answered here as the caller's mistake.
          if (error instanceof BadInputError) throw badUserInput(`after: ${error.message}`);
          throw error;
        });
      return {
        edges: page.items.map((finding, index) => ({ cursor: page.cursors[index] ?? '', node: toImageSecret(finding) })),
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
        totalCount: page.totalCount,
      };
    }
  }
  return ImageSecretsResolver;
}

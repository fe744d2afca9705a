import { Inject } from '@nestjs/common';
import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { FindingStore, type FindingEntity } from '@bulkhead/persistence';
import { GraphQLJSON } from '@bulkhead/plugin-sdk/api';
import { GraphQLError } from 'graphql';
import { badUserInput } from '../graphql/errors';
import { requestContext } from '../host/request-context';
import { ImageService } from '../images/image.service';
import { FINDING_STORE } from '../tokens';
import { openVexDocument, type OpenVexDocument, type SuppressedVulnerability } from './vex-document';

/** The most statements one document holds (about 0.5 KiB each): an image with more is refused, not cut. */
export const MAX_VEX_STATEMENTS = 10_000;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-f0-9]{32,128}$/;

/** A finding row as a VEX statement's input; undefined for a vulnerability without a package purl. */
function suppressedVulnerability(entity: FindingEntity): SuppressedVulnerability | undefined {
  const data = entity.data as { aliases?: unknown; package?: { purl?: unknown } };
  const purl = data.package?.purl;
  if (typeof purl !== 'string' || !purl.startsWith('pkg:')) return undefined;
  const aliases = Array.isArray(data.aliases) ? data.aliases.filter((a): a is string => typeof a === 'string') : [];
  return {
    ruleId: entity.ruleId,
    aliases,
    purl,
    reason: entity.suppressionReason,
    justification: entity.suppressionJustification,
    expiresAt: entity.suppressedUntil,
    suppressedBy: entity.suppressedBy,
    suppressedAt: entity.suppressedAt,
  };
}

@Resolver()
export class VexResolver {
  constructor(
    private readonly images: ImageService,
    @Inject(FINDING_STORE) private readonly findings: FindingStore,
  ) {}

  @Query(() => GraphQLJSON, {
    description:
      "The team's SUPPRESSED vulnerabilities of one image as an OpenVEX v0.2.0 document (JSON): one not_affected statement per finding, product the image's pkg:oci purl, subcomponent the package purl, justification and reason (impact_statement) as recorded. `bulkhead scan --vex FILE` over the same image leaves those vulnerabilities out. imageId: the image id or a manifest digest. NOT_FOUND for an image not in the team.",
  })
  async vexDocument(@Args('imageId', { type: () => ID }) imageId: string): Promise<OpenVexDocument> {
    if (imageId.length > 200 || !DIGEST.test(imageId)) throw badUserInput(`imageId: ${JSON.stringify(imageId.slice(0, 80))} is not an image digest (sha256:...)`, { field: 'imageId' });
    const image = await this.images.byDigest(imageId);
    if (!image) throw new GraphQLError(`image ${imageId} does not exist in your team`, { extensions: { code: 'NOT_FOUND' } });
    const rows = await this.findings.suppressedVulnerabilities(image.digest, MAX_VEX_STATEMENTS);
    if (rows.length > MAX_VEX_STATEMENTS) {
      throw new GraphQLError(`image ${image.digest} has more than ${MAX_VEX_STATEMENTS} suppressed vulnerabilities, more than one VEX document holds`, { extensions: { code: 'LIMIT_EXCEEDED' } });
    }
    const statements = rows.flatMap((row) => suppressedVulnerability(row) ?? []);
    return openVexDocument(image, requestContext.requestTeam(), statements);
  }
}

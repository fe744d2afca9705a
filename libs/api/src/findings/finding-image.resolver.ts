import { Context, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import DataLoader from 'dataloader';
import { Image } from '../images/image.model';
import { ImageService } from '../images/image.service';
import { Finding, FindingCount } from './finding.model';

/*
 * `Finding.image` and `FindingCount.image`: the image a finding (or an IMAGE group) is about.
 * A page of 500 findings or groups asks for 500 images; a per-request DataLoader answers all
 * of one tick with one statement (ImageStore.getManyByImageId), and nothing is cached across
 * requests or teams (the loader lives as long as the request's GraphQL context object).
 */

/** The most image ids one statement looks up. */
const MAX_BATCH = 1000;

const byRequest = new WeakMap<object, DataLoader<string, Image | null>>();

function imageLoader(context: object, images: ImageService): DataLoader<string, Image | null> {
  let loader = byRequest.get(context);
  if (!loader) {
    loader = new DataLoader(
      async (digests) => {
        const found = await images.byImageIds(digests);
        return digests.map((digest) => found.get(digest) ?? null);
      },
      { maxBatchSize: MAX_BATCH },
    );
    byRequest.set(context, loader);
  }
  return loader;
}

@Resolver(() => Finding)
export class FindingImageResolver {
  constructor(private readonly images: ImageService) {}

  @ResolveField(() => Image, { nullable: true, description: 'The image the finding is about (its target is an image id of the team); null for other targets.' })
  image(@Parent() finding: Finding, @Context() context: object): Promise<Image | null> {
    return imageLoader(context, this.images).load(finding.target);
  }
}

@Resolver(() => FindingCount)
export class FindingCountImageResolver {
  constructor(private readonly images: ImageService) {}

  @ResolveField(() => Image, { nullable: true, description: 'For IMAGE groups: the image whose findings these are; null for other groupings and other targets.' })
  image(@Parent() group: FindingCount, @Context() context: object): Promise<Image | null> {
    return group.groupBy === 'target' ? imageLoader(context, this.images).load(group.key) : Promise.resolve(null);
  }
}

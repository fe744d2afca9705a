import { Args, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { TaskConnection } from '../tasks/task.model';
import { TaskService } from '../tasks/task.service';
import { Image, ImageConnection, PackageConnection } from './image.model';
import { ImageService } from './image.service';

@Resolver(() => Image)
export class ImageResolver {
  constructor(
    private readonly imageService: ImageService,
    private readonly taskService: TaskService,
  ) {}

  @Query(() => Image, { nullable: true, description: 'A scanned image by image id (config digest) or by any of its manifest digests (sha256:...); null when never scanned.' })
  image(@Args('digest') digest: string): Promise<Image | null> {
    return this.imageService.byDigest(digest);
  }

  @Query(() => ImageConnection, { description: "The team's scanned images, most recently updated first." })
  images(
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
    @Args('search', { type: () => String, nullable: true, description: 'Part of a name the image was scanned under (case-insensitive), or the start of its image id (sha256:...).' }) search?: string | null,
    @Args('package', { type: () => String, nullable: true, description: 'Only images holding a package of this exact name (e.g. openssl, libssl3).' }) packageName?: string | null,
  ): Promise<ImageConnection> {
    return this.imageService.list(first, after, search, packageName);
  }

  @ResolveField(() => PackageConnection, { description: 'Packages found in the image, ordered by name.' })
  packages(
    @Parent() image: Image,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<PackageConnection> {
    return this.imageService.packages(image, first, after);
  }

  @ResolveField(() => TaskConnection, { description: 'The tasks that produced this image (scans of any of its forms), newest first.' })
  tasks(
    @Parent() image: Image,
    @Args('first', { type: () => Int, nullable: true, description: 'Page size, 1 to 500 (default 50).' }) first?: number | null,
    @Args('after', { type: () => String, nullable: true, description: 'endCursor of the previous page.' }) after?: string | null,
  ): Promise<TaskConnection> {
    return this.taskService.forArtifact(image.artifactId, first, after);
  }
}

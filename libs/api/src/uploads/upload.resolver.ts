import { Inject } from '@nestjs/common';
import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { isUuid } from '@bulkhead/persistence';
import { RequireRole } from '@bulkhead/plugin-sdk/api';
import { GraphQLError } from 'graphql';
import { requestContext } from '../host/request-context';
import { UPLOAD_SERVICE } from '../tokens';
import { toUpload, Upload } from './upload.model';
import type { UploadService } from './upload.service';

/** The caller's team's uploads (POST /uploads stores them). */
@Resolver()
export class UploadResolver {
  constructor(@Inject(UPLOAD_SERVICE) private readonly service: UploadService) {}

  @Query(() => [Upload], { description: "The caller's team's unexpired uploads, newest first (at most 1000)." })
  @RequireRole('viewer')
  async uploads(): Promise<Upload[]> {
    return (await this.service.list()).map(toUpload);
  }

  @Mutation(() => Boolean, { description: "Deletes an upload of the caller's team and its file (NOT_FOUND otherwise)." })
  @RequireRole('operator')
  async deleteUpload(@Args('id', { type: () => ID }) id: string): Promise<boolean> {
    const team = requestContext.requestTeam();
    if (!isUuid(id) || !(await this.service.delete(id, team))) throw new GraphQLError(`no upload ${JSON.stringify(id.slice(0, 80))} for this team`, { extensions: { code: 'NOT_FOUND' } });
    return true;
  }
}

import { Field, ID, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { requestContext } from '../host/request-context';
import { RoleName } from './api-token.model';

@ObjectType({ description: 'Who the request is: the token that authenticated it, its team and its role.' })
export class Viewer {
  @Field(() => ID, { description: 'Id of the API token (or ingest credential) of the request.' }) tokenId!: string;
  @Field({ description: 'Name of that token.' }) name!: string;
  @Field({ description: "The team whose data the request sees and writes." }) team!: string;
  @Field(() => RoleName, { description: 'viewer < operator < admin.' }) role!: RoleName;
}

/**
 * `me`: what a client (the web console) needs to decide which views and actions to offer. It
 * is a convenience, not a permission: every mutation is still authorised by the API itself.
 */
@Resolver()
export class ViewerResolver {
  @Query(() => Viewer, { description: 'The caller: token id and name, team and role (any role).' })
  me(): Viewer {
    const principal = requestContext.requirePrincipal();
    return { tokenId: principal.tokenId, name: principal.name, team: principal.team, role: principal.role as RoleName };
  }
}

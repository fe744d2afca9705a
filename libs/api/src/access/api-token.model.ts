import { Field, ID, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { ApiTokenEntity, AuditLogEntity } from '@bulkhead/persistence';
import { ConnectionType, GraphQLJSON } from '@bulkhead/plugin-sdk/api';

export enum RoleName {
  viewer = 'viewer',
  operator = 'operator',
  admin = 'admin',
}
registerEnumType(RoleName, { name: 'Role', description: 'viewer < operator < admin: each may do what the ones before it may.' });

@ObjectType({ description: 'An API token (never its secret: that is shown once, by createApiToken).' })
export class ApiToken {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() team!: string;
  @Field(() => RoleName) role!: RoleName;
  @Field() createdAt!: Date;
  @Field({ description: 'A token id, or `cli` / `serve` for the command line and the first admin token.' }) createdBy!: string;
  @Field(() => Date, { nullable: true }) expiresAt!: Date | null;
  @Field(() => Date, { nullable: true }) revokedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'Last authenticated use (recorded about once a minute).' }) lastUsedAt!: Date | null;
}

@ObjectType()
export class CreatedApiToken {
  @Field(() => ApiToken) token!: ApiToken;
  @Field({ description: 'The secret (bhk_...): shown this once, never stored. Send it as `Authorization: Bearer <secret>`.' }) secret!: string;
}

@ObjectType({ description: 'One audited operation.' })
export class AuditLogEntry {
  @Field(() => ID) id!: string;
  @Field() at!: Date;
  @Field(() => ID, { nullable: true }) tokenId!: string | null;
  @Field(() => String, { nullable: true }) tokenName!: string | null;
  @Field(() => String, { nullable: true }) team!: string | null;
  @Field({ description: 'E.g. `mutation cancelTask`, `token.create`.' }) operation!: string;
  @Field(() => GraphQLJSON, { description: 'Variables / arguments, secrets redacted.' }) details!: unknown;
  @Field({ description: 'ok, error, unauthenticated or forbidden.' }) outcome!: string;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => String, { nullable: true }) remoteAddress!: string | null;
  @Field(() => String, { nullable: true }) userAgent!: string | null;
}

@ObjectType()
export class AuditLogConnection extends ConnectionType(AuditLogEntry, 'AuditLogEntry') {}

export function toApiToken(row: ApiTokenEntity): ApiToken {
  return { id: row.id, name: row.name, team: row.team, role: row.role as RoleName, createdAt: row.createdAt, createdBy: row.createdBy, expiresAt: row.expiresAt, revokedAt: row.revokedAt, lastUsedAt: row.lastUsedAt };
}

export function toAuditLogEntry(row: AuditLogEntity): AuditLogEntry {
  return { ...row };
}

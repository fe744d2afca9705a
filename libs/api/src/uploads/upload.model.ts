import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import type { UploadEntity } from '@bulkhead/persistence';

@ObjectType({ description: 'A file uploaded with POST /uploads, named in task inputs as `upload:<id>` until it expires.' })
export class Upload {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'The name given with ?name= (display only).' })
  name!: string | null;

  @Field(() => Float, { description: 'Size in bytes.' })
  size!: number;

  @Field({ description: 'Hex SHA-256 of the content.' })
  sha256!: string;

  @Field({ description: 'What a task input names it by: `upload:<id>`.' })
  target!: string;

  @Field(() => ID, { description: 'The API token that uploaded it.' })
  createdBy!: string;

  @Field()
  createdAt!: Date;

  @Field({ description: 'When the upload and its file are removed.' })
  expiresAt!: Date;
}

export function toUpload(row: UploadEntity): Upload {
  return { id: row.id, name: row.name, size: row.size, sha256: row.sha256.trim(), target: `upload:${row.id}`, createdBy: row.createdBy, createdAt: row.createdAt, expiresAt: row.expiresAt };
}

import { Field, Float, ID, ObjectType } from '@nestjs/graphql';
import { ConnectionType, registerHostGraphqlType } from '@bulkhead/plugin-sdk/api';

@ObjectType()
export class OperatingSystem {
  @Field({ description: 'os-release ID: debian, alpine, ubuntu ...' })
  family!: string;

  @Field()
  version!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;
}

@ObjectType()
export class Layer {
  @Field({ description: 'Digest of the layer blob as stored (compressed).' })
  digest!: string;

  @Field(() => String, { nullable: true, description: 'Digest of the uncompressed layer tar (rootfs diff_id).' })
  diffId!: string | null;

  @Field(() => Float, { description: 'Bytes as stored (Float: layers may exceed 2^31 bytes).' })
  size!: number;

  @Field(() => String, { nullable: true })
  mediaType!: string | null;
}

@ObjectType({ description: 'A software package found inside an image.' })
export class Package {
  /** Image id (config digest) of the image the package is in, for plugins' Package fields (HostPackageParent); not exposed. */
  imageDigest!: string;

  @Field(() => ID, { description: 'Stable across rescans of the image while the package (purl, layer, path) stays in it.' })
  id!: string;

  @Field({ description: 'purl type: deb, apk, rpm, npm ...' })
  type!: string;

  @Field()
  name!: string;

  @Field()
  version!: string;

  @Field(() => String, { nullable: true })
  sourceName!: string | null;

  @Field(() => String, { nullable: true })
  sourceVersion!: string | null;

  @Field()
  purl!: string;

  @Field(() => String, { nullable: true, description: 'diff_id (uncompressed digest) of the layer that introduced the package, where known.' })
  layer!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The file the package was read from, relative to the image root (var/lib/dpkg/status, app/package-lock.json ...), where known. The same package version in two files is two packages.',
  })
  path!: string | null;
}

// Plugins extend Package (e.g. Package.vulnerabilities) through the SDK's hostGraphqlType('Package').
registerHostGraphqlType('Package', Package);

@ObjectType()
export class PackageConnection extends ConnectionType(Package, 'Package') {}

@ObjectType({ description: 'A scanned image (or other artifact): one record whatever form it was read from.' })
export class Image {
  /** Internal row id, used to page the image's packages and tasks; not exposed. */
  artifactId!: string;

  @Field({ description: 'Image id: the config digest (sha256:...), the same for every form of the image (OCI layout, docker-archive). A root file system: its content digest.' })
  digest!: string;

  @Field(() => [String], { description: 'Every manifest digest the image is known by (OCI layouts, multi-platform indexes); empty for a legacy docker-archive.' })
  manifestDigests!: string[];

  @Field(() => [String], { description: 'Every name the image was scanned under.' })
  references!: string[];

  @Field(() => OperatingSystem, { nullable: true })
  os!: OperatingSystem | null;

  @Field(() => Float, { description: 'Total bytes of the layers as stored.' })
  size!: number;

  @Field(() => [Layer])
  layers!: Layer[];

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

// Plugins extend Image (e.g. Image.vulnerabilities) through the SDK's hostGraphqlType('Image').
registerHostGraphqlType('Image', Image);

@ObjectType()
export class ImageConnection extends ConnectionType(Image, 'Image') {}

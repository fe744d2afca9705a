import { Field, ObjectType } from '@nestjs/graphql';
import { GraphQLJSON } from '@bulkhead/plugin-sdk/api';
import { LifecyclePhase, PluginKind } from '@bulkhead/plugin-sdk/api';

@ObjectType({ description: 'A task type a plugin runs, with the JSON Schema its input must satisfy.' })
export class PluginTask {
  @Field({ description: 'Persisted task type name, unique within the plugin kind (e.g. scan-image).' })
  type!: string;

  @Field()
  description!: string;

  @Field(() => GraphQLJSON, { description: 'JSON Schema (draft 2020-12) of the task input accepted by submitTask.' })
  inputSchema!: unknown;
}

@ObjectType({ description: 'A loaded plugin (built-in or npm package).' })
export class Plugin {
  @Field()
  id!: string;

  @Field()
  version!: string;

  @Field(() => PluginKind)
  kind!: PluginKind;

  @Field(() => [LifecyclePhase])
  phases!: string[];

  @Field()
  description!: string;

  @Field(() => [PluginTask])
  tasks!: PluginTask[];
}

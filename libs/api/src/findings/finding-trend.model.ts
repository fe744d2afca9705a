import { Field, InputType, Int, ObjectType } from '@nestjs/graphql';
import { PluginKind, Severity } from '@bulkhead/plugin-sdk/api';

@InputType({ description: 'Which open findings the trend counts; an absent or empty list means all.' })
export class FindingTrendFilter {
  @Field(() => [PluginKind], { nullable: true, description: 'Findings of any of these kinds.' })
  kinds?: PluginKind[] | null;

  @Field(() => [Severity], { nullable: true, description: 'These severities, one point each per day, in this order (default: every severity, most severe first).' })
  severities?: Severity[] | null;
}

@ObjectType({ description: 'How many findings of one severity were OPEN at the end of one UTC day (today: now, within a few seconds).' })
export class FindingTrendPoint {
  @Field({ description: 'The UTC day, YYYY-MM-DD.' })
  day!: string;

  @Field(() => Severity)
  severity!: Severity;

  @Field(() => Int)
  open!: number;
}

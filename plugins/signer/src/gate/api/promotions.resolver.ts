import { Inject, Injectable } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { BadInputError } from '@bulkhead/plugin-sdk';
import {
  GraphQLJSON,
  HOST_REQUEST_CONTEXT,
  HOST_TASKS,
  PLUGIN_DATABASE,
  RequireRole,
  Task,
  taskModelOf,
  type HostRequestContext,
  type HostTasks,
  type PluginDatabase,
} from '@bulkhead/plugin-sdk/api';
import { checkPromotionPolicy } from '../policy';
import { PROMOTE_IMAGE_TASK } from '../promote-image';
import { getPromotion, listPromotions, type PromotionRecord } from '../promotion-store';
import { Promotion, PromotionVerdict } from './promotion.model';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The gate's GraphQL surface, on host capabilities only: promoteImage submits the promote-image
 * flow (the host queues it; the worker runs its children and then it), promotions read the
 * plugin's `promotion` table in the request's team.
 */
@Injectable()
@Resolver(() => Promotion)
export class PromotionsResolver {
  constructor(
    @Inject(HOST_TASKS) private readonly tasks: HostTasks,
    @Inject(PLUGIN_DATABASE) private readonly db: PluginDatabase,
    @Inject(HOST_REQUEST_CONTEXT) private readonly context: HostRequestContext,
  ) {}

  @RequireRole('operator')
  @Mutation(() => Task, {
    description:
      'Promotion gate: scans and benchmarks the image (child tasks), evaluates the policy over their results and signs the image only when it passes. The decision is `promotion(id: <task id>)` once the task has finished. policy: {maxSeverity, allowSecrets, ignoreUnfixed, benchmark: {maxFailures, allowedRules}, requiredSigners}; a bad policy is BAD_USER_INPUT naming the field.',
  })
  async promoteImage(
    @Args('ref') ref: string,
    @Args('policy', { type: () => GraphQLJSON }) policy: unknown,
    @Args('keyId', { type: () => String, nullable: true, description: 'The server key that signs a passing image.' }) keyId?: string | null,
  ): Promise<Task> {
    const checked = checkPromotionPolicy(policy, 'argument policy');
    const task = await this.tasks.submit({ kind: 'signer', type: PROMOTE_IMAGE_TASK, input: { ref, policy: checked, ...(keyId ? { keyId } : {}) } });
    return taskModelOf(task);
  }

  @Query(() => Promotion, { nullable: true, description: 'A promotion decision by its task id; null until the task has decided (or for another team).' })
  async promotion(@Args('id', { type: () => ID }) id: string): Promise<Promotion | null> {
    if (!UUID.test(id)) throw new BadInputError(`id: ${JSON.stringify(id.slice(0, 80))} is not a task id (a UUID)`);
    const record = await getPromotion(this.db, this.context.requestTeam(), id);
    return record ? toModel(record) : null;
  }

  @Query(() => [Promotion], { description: 'Promotion decisions, newest first.' })
  async promotions(
    @Args('first', { type: () => Int, nullable: true, description: '1 to 500 (default 50).' }) first?: number | null,
    @Args('decision', { type: () => PromotionVerdict, nullable: true }) decision?: PromotionVerdict | null,
    @Args('ref', { type: () => String, nullable: true, description: 'Only decisions about this reference.' }) ref?: string | null,
  ): Promise<Promotion[]> {
    if (first !== undefined && first !== null && (first < 1 || first > 500)) throw new BadInputError(`first: ${first} is not between 1 and 500`);
    const records = await listPromotions(this.db, this.context.requestTeam(), { first: first ?? 50, ...(decision ? { decision } : {}), ...(ref ? { ref } : {}) });
    return records.map(toModel);
  }
}

function toModel(record: PromotionRecord): Promotion {
  return {
    ...record,
    decision: record.decision === 'PASS' ? PromotionVerdict.PASS : PromotionVerdict.FAIL,
    reasons: record.reasons.map((r) => ({ rule: r.rule, detail: r.detail, findingId: r.findingId ?? null })),
  };
}

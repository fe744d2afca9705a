import { Args, Int, Mutation, Resolver } from '@nestjs/graphql';
import { RequireRole } from '@bulkhead/plugin-sdk/api';
import { ProbeResult } from './probe.model';
import { DEFAULT_PROBE_TIMEOUT_MS, MAX_PROBE_TIMEOUT_MS, ProbeService } from './probe.service';

@Resolver()
export class ProbeResolver {
  constructor(private readonly probes: ProbeService) {}

  // Operator: it queues a task (and counts against the token's task quota).
  @RequireRole('operator')
  @Mutation(() => ProbeResult, {
    description:
      'Runs a canary task (a no-op) through the whole path of a task: API → Postgres → BullMQ → worker → Postgres → subscription, and reports how long each hop took. Waits until the task SUCCEEDED or the timeout passed (then the task is cancelled and the result says why).',
  })
  probeTask(
    @Args('label', { description: 'Names what asked (a monitor, `cli`): letters, digits, ".", "_", "-", at most 63. Stored as the task label bulkhead.io/probe.' }) label: string,
    @Args('timeoutMs', { type: () => Int, nullable: true, description: `How long to wait, in ms (default ${DEFAULT_PROBE_TIMEOUT_MS}, at most ${MAX_PROBE_TIMEOUT_MS}).` }) timeoutMs?: number | null,
  ): Promise<ProbeResult> {
    return this.probes.probe(label, timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS);
  }
}

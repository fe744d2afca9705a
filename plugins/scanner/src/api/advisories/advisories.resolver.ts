import { Inject } from '@nestjs/common';
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { HOST_TASKS, RequireRole, Task, taskModelOf, type HostTasks } from '@bulkhead/plugin-sdk/api';
import { BadInputError } from '@bulkhead/plugin-sdk';
import { feedsToFetch } from '../../tasks/advisory-feeds';
import { IMPORT_ADVISORIES_TASK, MAX_IMPORT_PATHS, UPDATE_ADVISORIES_TASK } from '../../tasks/advisory-task-types';
import type { ScannerApiConfig } from '../config';
import { SCANNER_API_CONFIG } from '../tokens';

/**
 * Server-side advisory database maintenance. Both mutations queue a task (the worker does the
 * import in one transaction per source, then queues the re-matching of every team's images);
 * the paths and feeds are checked here first so a refused request queues nothing.
 */
@Resolver()
export class AdvisoriesResolver {
  constructor(
    @Inject(HOST_TASKS) private readonly tasks: HostTasks,
    @Inject(SCANNER_API_CONFIG) private readonly config: ScannerApiConfig,
  ) {}

  @RequireRole('operator')
  @Mutation(() => Task, {
    description:
      'Imports advisory files on the server into the advisory database (OSV .json / .jsonl / .zip / folders, Debian security tracker lists or JSON, Alpine secdb): absolute paths under the folders the server allows (BULKHEAD_ALLOWED_PATHS). Runs as task import-advisories; when data changed, every team\'s images are re-matched (tasks rematch-vulnerabilities).',
  })
  importAdvisories(@Args('paths', { type: () => [String] }) paths: string[]): Promise<Task> {
    if (paths.length === 0 || paths.length > MAX_IMPORT_PATHS) throw new BadInputError(`paths: give 1 to ${MAX_IMPORT_PATHS} paths`);
    // The host confines every path (serverInputs of the task) before anything is queued.
    return this.submit(IMPORT_ADVISORIES_TASK, { paths });
  }

  @RequireRole('admin')
  @Mutation(() => Task, {
    description:
      'Fetches advisory feeds into the advisory database (HTTP with ETag / If-Modified-Since; a failed or truncated download keeps the old data). Only feeds the operator listed in BULKHEAD_ADVISORY_FEEDS can be fetched (default: all of them). Runs as task update-advisories; when data changed, every team\'s images are re-matched.',
  })
  updateAdvisories(@Args('feeds', { type: () => [String], nullable: true }) feeds?: string[] | null): Promise<Task> {
    const selected = feedsToFetch(feeds ?? undefined, this.config.BULKHEAD_ADVISORY_FEEDS);
    return this.submit(UPDATE_ADVISORIES_TASK, { feeds: selected });
  }

  private async submit(task: { kind: 'scanner'; type: string }, input: unknown): Promise<Task> {
    return taskModelOf(await this.tasks.submit({ kind: task.kind, type: task.type, input }));
  }
}

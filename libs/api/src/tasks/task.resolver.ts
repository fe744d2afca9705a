import { Args, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { Task, TaskConnection, TaskFilter } from './task.model';
import { TaskQueryService } from './task-query.service';

@Resolver(() => Task)
export class TaskResolver {
  constructor(private readonly taskQueries: TaskQueryService) {}

  @Query(() => Task, { nullable: true, description: 'A task by id; null when there is none.' })
  task(@Args('id', { type: () => ID }) id: string): Promise<Task | null> {
    return this.taskQueries.get(id);
  }

  @Query(() => TaskConnection, { description: 'Tasks, newest first.' })
  tasks(
    @Args('filter', { type: () => TaskFilter, nullable: true }) filter?: TaskFilter | null,
    @Args('first', { type: () => Int, nullable: true }) first?: number | null,
    @Args('after', { type: () => String, nullable: true }) after?: string | null,
  ): Promise<TaskConnection> {
    return this.taskQueries.list(filter, first, after);
  }
}

import { BadInputError, type TaskContext, type TaskPlatform } from '@bulkhead/plugin-sdk';

/**
 * The platform of a server-side task: these tasks work on the server's advisory store and stored
 * inventories, so inline (the CLI, no platform) they refuse with the command to use instead.
 */
export function requirePlatform(ctx: TaskContext, task: string, inline: string): TaskPlatform {
  if (!ctx.platform) throw new BadInputError(`${task} runs on a Bulkhead server (a worker); inline, use ${inline}`);
  return ctx.platform;
}

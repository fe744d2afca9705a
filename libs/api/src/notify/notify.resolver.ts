import { Inject } from '@nestjs/common';
import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { declareSensitiveArguments, RequireRole } from '@bulkhead/plugin-sdk/api';
import { GraphQLError } from 'graphql';
import { badUserInput } from '../graphql/errors';
import { requestContext } from '../host/request-context';
import { NOTIFY_SERVICE } from '../tokens';
import { ChannelInputError, type ChannelInput, type NotificationChannelRow, type NotificationChannelStore } from './channel-store';
import type { NotifyDestinationPolicy } from './destination-policy';
import { NotificationChannel, NotificationChannelKind, NotificationDelivery } from './notify.model';

// The audit log keeps mutation arguments: a webhook secret and a Slack URL (itself a credential) are redacted.
declareSensitiveArguments('createNotificationChannel', ['secret', 'url']);
declareSensitiveArguments('updateNotificationChannel', ['secret', 'url']);

/** What the resolver needs (startApi builds it: the store and the destination policy). */
export interface NotifyService {
  store: NotificationChannelStore;
  policy: NotifyDestinationPolicy;
}

function toModel(row: NotificationChannelRow): NotificationChannel {
  const { team: _team, ...rest } = row;
  return { ...rest, kind: row.kind as NotificationChannelKind };
}

function notFound(id: string): GraphQLError {
  return new GraphQLError(`no notification channel ${JSON.stringify(id)} in your team`, { extensions: { code: 'NOT_FOUND' } });
}

/** Per-team notification channels and their delivery log: operators and admins of the team. */
@Resolver()
@RequireRole('operator')
export class NotifyResolver {
  constructor(@Inject(NOTIFY_SERVICE) private readonly notify: NotifyService) {}

  @Query(() => [NotificationChannel], { description: "The caller's team's notification channels, by name." })
  async notificationChannels(): Promise<NotificationChannel[]> {
    return (await this.notify.store.list(requestContext.requirePrincipal().team)).map(toModel);
  }

  @Mutation(() => NotificationChannel, { description: 'Creates a channel; the URL must pass BULKHEAD_NOTIFY_ALLOWED_HOSTS. The secret is write-only.' })
  async createNotificationChannel(
    @Args('name') name: string,
    @Args('kind', { type: () => NotificationChannelKind }) kind: NotificationChannelKind,
    @Args('url') url: string,
    @Args('secret', { type: () => String, nullable: true, description: 'HMAC key of a WEBHOOK channel (16–512 characters); never returned.' }) secret?: string | null,
    @Args('onCriticalFindings', { defaultValue: false }) onCriticalFindings?: boolean,
    @Args('onFailedGates', { defaultValue: false }) onFailedGates?: boolean,
    @Args('runtimeAlertMinPriority', { type: () => String, nullable: true }) runtimeAlertMinPriority?: string | null,
    @Args('enabled', { defaultValue: true }) enabled?: boolean,
  ): Promise<NotificationChannel> {
    const input = this.input({ name, kind, url, secret, onCriticalFindings, onFailedGates, runtimeAlertMinPriority, enabled });
    return toModel(await this.guard(() => this.notify.store.create(requestContext.requirePrincipal().team, input)));
  }

  @Mutation(() => NotificationChannel, { description: 'Replaces a channel\'s settings; omit `secret` to keep the stored one.' })
  async updateNotificationChannel(
    @Args('id', { type: () => ID }) id: string,
    @Args('name') name: string,
    @Args('kind', { type: () => NotificationChannelKind }) kind: NotificationChannelKind,
    @Args('url') url: string,
    @Args('secret', { type: () => String, nullable: true }) secret?: string | null,
    @Args('onCriticalFindings', { defaultValue: false }) onCriticalFindings?: boolean,
    @Args('onFailedGates', { defaultValue: false }) onFailedGates?: boolean,
    @Args('runtimeAlertMinPriority', { type: () => String, nullable: true }) runtimeAlertMinPriority?: string | null,
    @Args('enabled', { defaultValue: true }) enabled?: boolean,
  ): Promise<NotificationChannel> {
    const input = this.input({ name, kind, url, secret, onCriticalFindings, onFailedGates, runtimeAlertMinPriority, enabled });
    const row = await this.guard(() => this.notify.store.update(requestContext.requirePrincipal().team, id, input));
    if (!row) throw notFound(id);
    return toModel(row);
  }

  @Mutation(() => NotificationChannel, { description: 'Deletes a channel of the caller\'s team (its delivery log stays).' })
  async deleteNotificationChannel(@Args('id', { type: () => ID }) id: string): Promise<NotificationChannel> {
    const row = await this.notify.store.delete(requestContext.requirePrincipal().team, id);
    if (!row) throw notFound(id);
    return toModel(row);
  }

  @Query(() => [NotificationDelivery], { description: "Delivery attempts of the caller's team, newest first." })
  async notificationDeliveries(
    @Args('channelId', { type: () => ID, nullable: true }) channelId?: string | null,
    @Args('first', { type: () => Int, nullable: true, description: '1 to 500 (default 50).' }) first?: number | null,
  ): Promise<NotificationDelivery[]> {
    const n = first ?? 50;
    if (!Number.isInteger(n) || n < 1 || n > 500) throw badUserInput(`first: ${n} is not between 1 and 500`, { field: 'first' });
    const rows = await this.notify.store.deliveries(requestContext.requirePrincipal().team, { channelId, first: n });
    return rows.map((r) => ({ ...r, statusCode: r.statusCode ?? null, error: r.error ?? null }));
  }

  private input(args: { name: string; kind: NotificationChannelKind; url: string; secret?: string | null; onCriticalFindings?: boolean; onFailedGates?: boolean; runtimeAlertMinPriority?: string | null; enabled?: boolean }): ChannelInput {
    let parsed: URL;
    try {
      parsed = new URL(args.url);
    } catch {
      throw badUserInput('url: not a valid URL', { field: 'url' });
    }
    try {
      this.notify.policy.checkUrl(parsed);
    } catch (error) {
      throw badUserInput(`url: ${(error as Error).message}`, { field: 'url' });
    }
    return {
      name: args.name, kind: args.kind, url: args.url, secret: args.secret ?? null,
      onCriticalFindings: args.onCriticalFindings ?? false, onFailedGates: args.onFailedGates ?? false,
      runtimeAlertMinPriority: args.runtimeAlertMinPriority ?? null, enabled: args.enabled ?? true,
    };
  }

  private async guard<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ChannelInputError) throw badUserInput(error.message, { field: error.message.split(':')[0] });
      throw error;
    }
  }
}

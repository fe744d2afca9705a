import type { TeamAccessor } from '@bulkhead/persistence';
import type { PlatformNotification } from '@bulkhead/plugin-sdk';
import type { HostNotifications } from '@bulkhead/plugin-sdk/api';
import type { NotificationsPublisher } from '@bulkhead/queue';

/**
 * `HOST_NOTIFICATIONS`: a plugin module's notification goes on the installation's notifications
 * channel, exactly like one a worker task raises, so every API replica's dispatcher hears it
 * once and the same per-team rules, queue and delivery log apply. The team is the request's
 * (UNAUTHENTICATED outside one), never one the plugin names.
 */
export class PublishingHostNotifications implements HostNotifications {
  constructor(
    private readonly publisher: NotificationsPublisher,
    private readonly team: TeamAccessor,
  ) {}

  async notify(event: PlatformNotification): Promise<void> {
    await this.publisher.publish(this.team(), event);
  }
}

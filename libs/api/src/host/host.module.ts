import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { PluginServices, TaskLogger } from '@bulkhead/plugin-sdk';
import {
  FINDING_EVENTS,
  HOST_ARTIFACTS,
  HOST_BODY_READER,
  HOST_FINDINGS,
  HOST_LOGGER,
  HOST_NOTIFICATIONS,
  HOST_REQUEST_CONTEXT,
  HOST_SERVICES,
  HOST_TASKS,
  PLUGIN_DATABASE,
  type FindingEvents,
  type HostArtifacts,
  type HostBodyReader,
  type HostFindings,
  type HostNotifications,
  type HostTasks,
  type PluginDatabase,
} from '@bulkhead/plugin-sdk/api';
import { requestContext } from './request-context';

/** The host capabilities, made outside Nest by startApi (they share its connections). */
export interface HostCapabilities {
  tasks: HostTasks;
  artifacts: HostArtifacts;
  findings: HostFindings;
  findingEvents: FindingEvents;
  bodyReader: HostBodyReader;
  database: PluginDatabase;
  logger: TaskLogger;
  notifications: HostNotifications;
  /** Services other plugins provide, scoped to the request's team (host-services.ts). */
  services: PluginServices;
}

/**
 * Provides the SDK's host tokens to every module of the API, the plugins' modules included
 * (global: a plugin module injects `@Inject(HOST_FINDINGS)` without importing anything of ours).
 */
@Global()
@Module({})
export class HostModule {
  static forRoot(host: HostCapabilities): DynamicModule {
    const providers = [
      { provide: HOST_TASKS, useValue: host.tasks },
      { provide: HOST_ARTIFACTS, useValue: host.artifacts },
      { provide: HOST_FINDINGS, useValue: host.findings },
      { provide: FINDING_EVENTS, useValue: host.findingEvents },
      { provide: HOST_BODY_READER, useValue: host.bodyReader },
      { provide: PLUGIN_DATABASE, useValue: host.database },
      { provide: HOST_LOGGER, useValue: host.logger },
      { provide: HOST_NOTIFICATIONS, useValue: host.notifications },
      { provide: HOST_SERVICES, useValue: host.services },
      // The principal of the request being served (one AsyncLocalStorage for the whole process).
      { provide: HOST_REQUEST_CONTEXT, useValue: requestContext },
    ];
    return { module: HostModule, global: true, providers, exports: providers.map((p) => p.provide) };
  }
}

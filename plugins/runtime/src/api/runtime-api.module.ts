import { Module, type DynamicModule } from '@nestjs/common';
import type { TaskLogger } from '@bulkhead/plugin-sdk';
import { HOST_FINDINGS, type HostFindings } from '@bulkhead/plugin-sdk/api';
import type { AlertOutput } from '../alerts/outputs';
import { AlertRecorder } from './alerts/alert-recorder';
import { AlertRetention } from './alerts/alert-retention';
import { AlertResolver } from './alerts/alert.resolver';
import { AlertService } from './alerts/alert.service';
import type { RuntimeApiConfig } from './config';
import { loadRuntimeDetection } from './detection';
import { RuntimeIngestController } from './ingest/ingest.controller';
import { RuntimeIngestService } from './ingest/ingest.service';
import { ALERT_RECORDER, RUNTIME_API_CONFIG, RUNTIME_DETECTION } from './tokens';

export interface RuntimeModuleOptions {
  config: RuntimeApiConfig;
  logger: TaskLogger;
  /** Where new alerts also go (stdout, file, webhook); opened and closed by the plugin API. */
  outputs: readonly AlertOutput[];
}

/**
 * Runtime detection in the API process: the `alerts` query and `alertRaised` subscription,
 * and the ingest endpoints (/k8s-audit, /events, /falco-alerts) that evaluate events with the
 * rules of BULKHEAD_RUNTIME_RULES, loaded while the module starts (a rules error stops the
 * API's start-up, naming file:line:col). Host capabilities come through the SDK's tokens.
 */
@Module({})
export class RuntimeApiModule {
  static forRoot(options: RuntimeModuleOptions): DynamicModule {
    return {
      module: RuntimeApiModule,
      controllers: [RuntimeIngestController],
      providers: [
        { provide: RUNTIME_API_CONFIG, useValue: options.config },
        { provide: RUNTIME_DETECTION, useFactory: () => loadRuntimeDetection(options.config, options.logger) },
        {
          provide: ALERT_RECORDER,
          useFactory: (findings: HostFindings) => new AlertRecorder(findings, options.outputs, options.logger),
          inject: [HOST_FINDINGS],
        },
        AlertService,
        AlertResolver,
        RuntimeIngestService,
        AlertRetention,
      ],
    };
  }
}

import { PlatformModule } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import type { AlertingConfig } from './config';

/** Boots with the shared platform (probes, metrics, auth, Kafka, event store); features come with their issues. */
@Module({})
export class AlertingModule {
  static forRoot(config: AlertingConfig): DynamicModule {
    return {
      module: AlertingModule,
      imports: [PlatformModule.forRoot({ service: 'alerting', config })],
    };
  }
}

import { PlatformModule } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import type { IngestionConfig } from './config';

/** Boots with the shared platform (probes, metrics, auth, Kafka, event store, MQTT); features come with their issues. */
@Module({})
export class IngestionModule {
  static forRoot(config: IngestionConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [PlatformModule.forRoot({ service: 'ingestion', config, mqtt: true })],
    };
  }
}

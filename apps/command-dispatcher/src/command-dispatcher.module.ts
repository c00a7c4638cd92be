import { PlatformModule } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import type { CommandDispatcherConfig } from './config';

/** Boots with the shared platform (probes, metrics, auth, Kafka, event store, MQTT); features come with their issues. */
@Module({})
export class CommandDispatcherModule {
  static forRoot(config: CommandDispatcherConfig): DynamicModule {
    return {
      module: CommandDispatcherModule,
      imports: [PlatformModule.forRoot({ service: 'command-dispatcher', config, mqtt: true })],
    };
  }
}

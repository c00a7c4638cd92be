import { PlatformModule } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import type { FuotaOrchestratorConfig } from './config';

/** Boots with the shared platform (probes, metrics, auth, Kafka, event store); features come with their issues. */
@Module({})
export class FuotaOrchestratorModule {
  static forRoot(config: FuotaOrchestratorConfig): DynamicModule {
    return {
      module: FuotaOrchestratorModule,
      imports: [PlatformModule.forRoot({ service: 'fuota-orchestrator', config })],
    };
  }
}

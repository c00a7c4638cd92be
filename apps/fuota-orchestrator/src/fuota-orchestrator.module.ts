import { PlatformModule } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { ArtifactsModule } from './artifacts/artifacts.module';
import { CampaignsModule } from './campaigns/campaigns.module';
import type { FuotaOrchestratorConfig } from './config';
import { DevicesModule } from './devices/devices.module';
import { MulticastModule } from './multicast/multicast.module';

/** Boots with the shared platform (probes, metrics, auth, Kafka, event store); features come with their issues. */
@Module({})
export class FuotaOrchestratorModule {
  static forRoot(config: FuotaOrchestratorConfig): DynamicModule {
    return {
      module: FuotaOrchestratorModule,
      imports: [
        PlatformModule.forRoot({ service: 'fuota-orchestrator', config }),
        ArtifactsModule.forRoot(config),
        DevicesModule.forRoot(config),
        CampaignsModule.forRoot(),
        MulticastModule.forRoot(config),
      ],
    };
  }
}

import { streamRelayProvider } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { CAMPAIGN_CONFIG, type CampaignConfig } from './campaign-config.token';
import { CampaignsHttpController } from './http/campaigns.http.controller';
import { CampaignService } from './manage/campaign-service';
import { CampaignRunner } from './run/campaign-runner';
import { CampaignLedger } from './store/campaign-ledger';

/** Campaigns: the engine, its API, and the relay of campaign events to Kafka (devices come from DevicesModule). */
@Module({})
export class CampaignsModule {
  static forRoot(): DynamicModule {
    return {
      module: CampaignsModule,
      controllers: [CampaignsHttpController],
      providers: [
        CampaignLedger,
        CampaignRunner,
        CampaignService,
        streamRelayProvider<CampaignConfig>('campaign', CAMPAIGN_CONFIG, (c) => c.CAMPAIGN_EVENTS_TOPIC),
      ],
    };
  }
}

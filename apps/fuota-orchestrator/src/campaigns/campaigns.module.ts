import { streamRelayProvider } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { DeviceFeeds } from '../devices/directory/device-feeds';
import { CAMPAIGN_CONFIG, type CampaignConfig } from './campaign-config.token';
import { CampaignsHttpController } from './http/campaigns.http.controller';
import { CampaignService } from './manage/campaign-service';
import { CampaignRunner } from './run/campaign-runner';
import { CampaignLedger } from './store/campaign-ledger';

/** Campaigns: the engine, its device view, its API, and the relay of campaign events to Kafka. */
@Module({})
export class CampaignsModule {
  static forRoot(config: CampaignConfig): DynamicModule {
    return {
      module: CampaignsModule,
      controllers: [CampaignsHttpController],
      providers: [
        { provide: CAMPAIGN_CONFIG, useValue: config },
        DeviceFeeds,
        CampaignLedger,
        CampaignRunner,
        CampaignService,
        streamRelayProvider<CampaignConfig>('campaign', CAMPAIGN_CONFIG, (c) => c.CAMPAIGN_EVENTS_TOPIC),
      ],
    };
  }
}

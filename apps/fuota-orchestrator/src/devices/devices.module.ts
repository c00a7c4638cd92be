import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CAMPAIGN_CONFIG, type CampaignConfig } from '../campaigns/campaign-config.token';
import { DeviceFeeds } from './directory/device-feeds';

/** The service's one view of devices (facts, reports, campaign command outcomes), shared by campaigns and multicast. */
@Global()
@Module({})
export class DevicesModule {
  static forRoot(config: CampaignConfig): DynamicModule {
    return {
      module: DevicesModule,
      providers: [{ provide: CAMPAIGN_CONFIG, useValue: config }, DeviceFeeds],
      exports: [DeviceFeeds, CAMPAIGN_CONFIG],
    };
  }
}

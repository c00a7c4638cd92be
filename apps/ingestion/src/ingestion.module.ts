import { PlatformModule } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { INGESTION_CONFIG, type IngestionConfig } from './config';
import { DeviceDirectory } from './device-access/directory/device-directory';
import { AuthenticationRefusals } from './device-access/refusals/authentication-refusals.publisher';
import { BrokerLogWatcher } from './device-access/refusals/broker-log-watcher';
import { UplinkIngestion } from './uplinks/ingest-uplinks/uplink-ingestion';

/** Device connectivity: who may talk (from device events), and uplinks from MQTT to Kafka. */
@Module({})
export class IngestionModule {
  static forRoot(config: IngestionConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [PlatformModule.forRoot({ service: 'ingestion', config, mqtt: true })],
      providers: [
        { provide: INGESTION_CONFIG, useValue: config },
        DeviceDirectory,
        AuthenticationRefusals,
        UplinkIngestion,
        BrokerLogWatcher,
      ],
    };
  }
}

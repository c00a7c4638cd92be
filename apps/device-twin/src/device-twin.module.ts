import { PlatformModule, PG_POOL } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import type { Pool } from 'pg';
import type { DeviceTwinConfig } from './config';
import { DeviceHistoryHttpController } from './devices/device-history/device-history.http.controller';
import { GetDeviceHttpController } from './devices/get-device/get-device.http.controller';
import { ProvisionDeviceHandler } from './devices/provision-device/provision-device.handler';
import { ProvisionDeviceHttpController } from './devices/provision-device/provision-device.http.controller';
import { PostgresTwinStore } from './devices/twin/postgres-twin.store';
import { TWIN_STORE } from './devices/twin/twin';
import { TwinProjection } from './devices/twin/twin-projection';
import { DeviceEventsRelay } from './devices/relay-device-events/device-events.relay';

@Module({})
export class DeviceTwinModule {
  static forRoot(config: DeviceTwinConfig): DynamicModule {
    return {
      module: DeviceTwinModule,
      imports: [PlatformModule.forRoot({ service: 'device-twin', config })],
      controllers: [ProvisionDeviceHttpController, GetDeviceHttpController, DeviceHistoryHttpController],
      providers: [
        { provide: TWIN_STORE, inject: [PG_POOL], useFactory: (pool: Pool) => new PostgresTwinStore(pool) },
        ProvisionDeviceHandler,
        TwinProjection,
        DeviceEventsRelay,
      ],
    };
  }
}

import { PlatformModule, PG_POOL, streamRelayProvider } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import type { Pool } from 'pg';
import { DEVICE_TWIN_CONFIG, type DeviceTwinConfig } from './config';
import { GROUP_CONTROLLERS, GROUP_PROVIDERS } from './groups';
import { SEARCH_CONTROLLERS, SEARCH_PROVIDERS, SEARCH_TWIN_TABLES } from './devices/search-devices';
import { BulkConfigureHttpController } from './devices/bulk-configure/bulk-configure.http.controller';
import { BulkProvisionHttpController } from './devices/bulk-provision/bulk-provision.http.controller';
import { CommandOutcomesConsumer } from './devices/command-outcomes/command-outcomes.consumer';
import { ConfigureDeviceHttpController } from './devices/configure-device/configure-device.http.controller';
import { credentialProviders } from './devices/credentials/credentials.providers';
import { DeviceCommandHandler } from './devices/device-commands/device-command.handler';
import { DeviceHistoryHttpController } from './devices/device-history/device-history.http.controller';
import { DeviceStateHttpController } from './devices/device-state/device-state.http.controller';
import { GetDeviceHttpController } from './devices/get-device/get-device.http.controller';
import { ReadYourWrites } from './devices/http/read-your-writes';
import { DeviceLifecycleHttpController } from './devices/lifecycle/device-lifecycle.http.controller';
import { ProvisionDeviceHandler } from './devices/provision-device/provision-device.handler';
import { ProvisionDeviceHttpController } from './devices/provision-device/provision-device.http.controller';
import { RotateCredentialsHandler } from './devices/rotate-credentials/rotate-credentials.handler';
import { RotateCredentialsHttpController } from './devices/rotate-credentials/rotate-credentials.http.controller';
import { PostgresTwinStore } from './devices/twin/postgres-twin.store';
import { TWIN_STORE } from './devices/twin/twin';
import { TwinProjection } from './devices/twin/twin-projection';
import { TWIN_TABLES, twinTables, type TwinTables } from './devices/twin/twin-tables';
import { TelemetryConsumer } from './devices/telemetry/telemetry.consumer';

@Module({})
export class DeviceTwinModule {
  static forRoot(config: DeviceTwinConfig): DynamicModule {
    return {
      module: DeviceTwinModule,
      imports: [
        PlatformModule.forRoot({
          service: 'device-twin',
          config,
          mqtt: config.DEVICE_BROKER_REGISTRATION === 'mosquitto-dynsec',
        }),
      ],
      controllers: [
        ...SEARCH_CONTROLLERS,
        ...GROUP_CONTROLLERS,
        BulkProvisionHttpController,
        BulkConfigureHttpController,
        ProvisionDeviceHttpController,
        GetDeviceHttpController,
        DeviceHistoryHttpController,
        DeviceStateHttpController,
        DeviceLifecycleHttpController,
        RotateCredentialsHttpController,
        ConfigureDeviceHttpController,
      ],
      providers: [
        { provide: DEVICE_TWIN_CONFIG, useValue: config },
        { provide: TWIN_TABLES, useValue: twinTables() },
        {
          provide: TWIN_STORE,
          inject: [PG_POOL, TWIN_TABLES],
          useFactory: (pool: Pool, tables: TwinTables) => new PostgresTwinStore(pool, tables),
        },
        ...credentialProviders,
        DeviceCommandHandler,
        ProvisionDeviceHandler,
        RotateCredentialsHandler,
        ReadYourWrites,
        TwinProjection,
        streamRelayProvider<DeviceTwinConfig>('device', DEVICE_TWIN_CONFIG, (c) => c.DEVICE_EVENTS_TOPIC),
        TelemetryConsumer,
        CommandOutcomesConsumer,
        ...SEARCH_PROVIDERS,
        { provide: SEARCH_TWIN_TABLES, useExisting: TWIN_TABLES },
        ...GROUP_PROVIDERS,
      ],
    };
  }
}

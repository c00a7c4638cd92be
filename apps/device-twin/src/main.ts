import 'reflect-metadata';
import { runService } from '@fleet/platform';
import { loadDeviceTwinConfig } from './config';
import { DeviceTwinModule } from './device-twin.module';

// Bulk provisioning uploads (10,000 rows of CSV or JSON) need more than the default body limit.
runService('device-twin', loadDeviceTwinConfig, (config) => DeviceTwinModule.forRoot(config), {
  bodyLimit: '16mb',
});

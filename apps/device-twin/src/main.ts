import 'reflect-metadata';
import { runService } from '@fleet/platform';
import { loadDeviceTwinConfig } from './config';
import { DeviceTwinModule } from './device-twin.module';

runService('device-twin', loadDeviceTwinConfig, (config) => DeviceTwinModule.forRoot(config));

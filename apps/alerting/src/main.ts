import 'reflect-metadata';
import { runService } from '@fleet/platform';
import { loadAlertingConfig } from './config';
import { AlertingModule } from './alerting.module';

runService('alerting', loadAlertingConfig, (config) => AlertingModule.forRoot(config));

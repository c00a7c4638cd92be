import 'reflect-metadata';
import { runService } from '@fleet/platform';
import { loadCommandDispatcherConfig } from './config';
import { CommandDispatcherModule } from './command-dispatcher.module';

runService('command-dispatcher', loadCommandDispatcherConfig, (config) =>
  CommandDispatcherModule.forRoot(config),
);

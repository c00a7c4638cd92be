import { PlatformModule, streamRelayProvider } from '@fleet/platform';
import { Module, type DynamicModule } from '@nestjs/common';
import { AnswersConsumer } from './commands/answers/answers.consumer';
import { Dispatcher } from './commands/dispatch/dispatcher';
import { CommandsHttpController } from './commands/http/commands.http.controller';
import { CommandService } from './commands/request-command/command-service';
import { CommandRequestsConsumer } from './commands/requests/command-requests.consumer';
import { CommandLedger } from './commands/store/command-ledger';
import { COMMAND_DISPATCHER_CONFIG, type CommandDispatcherConfig } from './config';
import { ConfigurationLoop } from './configuration-loop/apply/configuration-loop.service';
import { DeviceDirectory } from './devices/directory/device-directory';
import { DeviceFeeds } from './devices/directory/device-feeds';
import { JobsHttpController } from './jobs/http/jobs.http.controller';
import { JobService } from './jobs/manage-jobs/job-service';
import { JobReleaser } from './jobs/release/job-releaser';

/** CRUDEN commands for devices that sleep: requests, per-device queues, gates, answers, bulk jobs. */
@Module({})
export class CommandDispatcherModule {
  static forRoot(config: CommandDispatcherConfig): DynamicModule {
    return {
      module: CommandDispatcherModule,
      imports: [PlatformModule.forRoot({ service: 'command-dispatcher', config, mqtt: true })],
      controllers: [CommandsHttpController, JobsHttpController],
      providers: [
        { provide: COMMAND_DISPATCHER_CONFIG, useValue: config },
        DeviceDirectory,
        CommandLedger,
        Dispatcher,
        CommandService,
        ConfigurationLoop,
        DeviceFeeds,
        AnswersConsumer,
        CommandRequestsConsumer,
        streamRelayProvider<CommandDispatcherConfig>(
          'command',
          COMMAND_DISPATCHER_CONFIG,
          (c) => c.COMMAND_EVENTS_TOPIC,
        ),
        JobService,
        JobReleaser,
      ],
    };
  }
}

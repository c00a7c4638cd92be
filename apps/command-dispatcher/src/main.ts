import 'reflect-metadata';
import { bootstrapHttpService } from '@fleet/observability';
import { loadCommandDispatcherConfig } from './config';
import { CommandDispatcherModule } from './command-dispatcher.module';

async function main(): Promise<void> {
  const config = loadCommandDispatcherConfig();
  await bootstrapHttpService(CommandDispatcherModule.forRoot(config), {
    service: 'command-dispatcher',
    port: config.HTTP_PORT,
    host: config.HTTP_HOST,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

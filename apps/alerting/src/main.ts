import 'reflect-metadata';
import { bootstrapHttpService } from '@fleet/observability';
import { loadAlertingConfig } from './config';
import { AlertingModule } from './alerting.module';

async function main(): Promise<void> {
  const config = loadAlertingConfig();
  await bootstrapHttpService(AlertingModule.forRoot(config), {
    service: 'alerting',
    port: config.HTTP_PORT,
    host: config.HTTP_HOST,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

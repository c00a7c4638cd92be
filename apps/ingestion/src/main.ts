import 'reflect-metadata';
import { bootstrapHttpService } from '@fleet/observability';
import { loadIngestionConfig } from './config';
import { IngestionModule } from './ingestion.module';

async function main(): Promise<void> {
  const config = loadIngestionConfig();
  await bootstrapHttpService(IngestionModule.forRoot(config), {
    service: 'ingestion',
    port: config.HTTP_PORT,
    host: config.HTTP_HOST,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import 'reflect-metadata';
import { bootstrapHttpService } from '@fleet/observability';
import { loadFuotaOrchestratorConfig } from './config';
import { FuotaOrchestratorModule } from './fuota-orchestrator.module';

async function main(): Promise<void> {
  const config = loadFuotaOrchestratorConfig();
  await bootstrapHttpService(FuotaOrchestratorModule.forRoot(config), {
    service: 'fuota-orchestrator',
    port: config.HTTP_PORT,
    host: config.HTTP_HOST,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

import 'reflect-metadata';
import { bootstrapHttpService } from '@fleet/observability';
import { loadDeviceTwinConfig } from './config';
import { DeviceTwinModule } from './device-twin.module';

async function main(): Promise<void> {
  const config = loadDeviceTwinConfig();
  await bootstrapHttpService(DeviceTwinModule.forRoot(config), {
    service: 'device-twin',
    port: config.HTTP_PORT,
    host: config.HTTP_HOST,
  });
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});

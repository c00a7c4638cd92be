import 'reflect-metadata';
import { runService } from '@fleet/platform';
import { loadFuotaOrchestratorConfig } from './config';
import { FuotaOrchestratorModule } from './fuota-orchestrator.module';

runService('fuota-orchestrator', loadFuotaOrchestratorConfig, (config) =>
  FuotaOrchestratorModule.forRoot(config),
);

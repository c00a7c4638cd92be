import 'reflect-metadata';
import { runService } from '@fleet/platform';
import { loadIngestionConfig } from './config';
import { IngestionModule } from './ingestion.module';

runService('ingestion', loadIngestionConfig, (config) => IngestionModule.forRoot(config));

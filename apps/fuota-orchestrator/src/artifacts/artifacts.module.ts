import { access, mkdir } from 'node:fs/promises';
import { constants } from 'node:fs';
import { findRepoRoot } from '@fleet/auth';
import { PG_POOL } from '@fleet/platform';
import { Logger, Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import type { Pool } from 'pg';
import type { ArtifactConfig } from './artifact-config';
import { ArtifactCatalogue } from './catalogue/artifact-catalogue';
import { DeclareArtifactHandler } from './declare-artifact/declare-artifact.handler';
import { DownloadTokens } from './download/download-tokens';
import { DownloadTokenRedaction } from './download/token-redaction.middleware';
import { ArtifactsHttpController } from './http/artifacts.http.controller';
import { FirmwareDownloadHttpController } from './http/firmware-download.http.controller';
import { ArtifactLedger } from './ledger/artifact-ledger';
import { ArtifactMetrics } from './metrics/artifact-metrics';
import { ArtifactProjection } from './read-model/artifact-projection';
import { ArtifactTable } from './read-model/artifact-table';
import {
  ARTIFACT_SETTINGS,
  resolveArtifactSettings,
  type ArtifactSettings,
} from './settings/artifact-settings';
import { ARTIFACT_STORAGE } from './storage/artifact-storage.port';
import { UploadImageHandler } from './upload-image/upload-image.handler';
import { FilesystemArtifactStorage } from './storage/filesystem-artifact-storage';

/**
 * Firmware artifacts: signed uploads, the `fuota_artifacts` read model, device downloads with
 * per-device tokens. Global, so that campaigns and multicast inject {@link ArtifactCatalogue}
 * without importing this module again. Needs the platform (PG_POOL, EVENT_STORE, Metrics).
 */
@Module({})
export class ArtifactsModule implements NestModule {
  static forRoot(config: ArtifactConfig): DynamicModule {
    return {
      module: ArtifactsModule,
      global: true,
      controllers: [ArtifactsHttpController, FirmwareDownloadHttpController],
      providers: [
        {
          provide: ARTIFACT_SETTINGS,
          useFactory: async () => {
            const logger = new Logger('Artifacts');
            const settings = await resolveArtifactSettings(config, {
              production: process.env['NODE_ENV'] === 'production',
              root: findRepoRoot(),
              warn: (message) => logger.warn(message),
            });
            await logSettings(settings, logger);
            return settings;
          },
        },
        {
          provide: ARTIFACT_STORAGE,
          inject: [ARTIFACT_SETTINGS],
          useFactory: (settings: ArtifactSettings) => new FilesystemArtifactStorage(settings.artifactDir),
        },
        {
          provide: DownloadTokens,
          inject: [ARTIFACT_SETTINGS],
          useFactory: (settings: ArtifactSettings) =>
            new DownloadTokens(settings.downloadTokenSecret, settings.downloadTokenTtlSeconds),
        },
        { provide: ArtifactTable, inject: [PG_POOL], useFactory: (pool: Pool) => new ArtifactTable(pool) },
        ArtifactProjection,
        ArtifactLedger,
        ArtifactMetrics,
        DeclareArtifactHandler,
        UploadImageHandler,
        ArtifactCatalogue,
      ],
      exports: [ArtifactCatalogue],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(DownloadTokenRedaction).forRoutes(FirmwareDownloadHttpController);
  }
}

async function logSettings(settings: ArtifactSettings, logger: Logger): Promise<void> {
  const ids = [...settings.trustedKeys.values()].map((k) => `${k.keyId} (${k.algorithm})`);
  const where = `${settings.trustedKeysDir}${settings.developmentKey ? ', development key ensured' : ''}`;
  if (ids.length === 0) {
    logger.warn(`no trusted manufacturer keys in ${where}: every firmware upload will be refused`);
  } else {
    logger.log(`trusted manufacturer keys: ${ids.join(', ')} (from ${where})`);
  }
  // Said at start-up rather than at the first upload: a read-only or missing volume is a deployment error.
  await mkdir(settings.artifactDir, { recursive: true })
    .then(() => access(settings.artifactDir, constants.W_OK))
    .then(
      () =>
        logger.log(`artifact storage: ${settings.artifactDir}; download links: ${settings.publicBaseUrl}`),
      (error: Error) =>
        logger.error(
          `artifact storage ${settings.artifactDir} is not writable (${error.message}): uploads will fail; set FUOTA_ARTIFACT_DIR to a writable volume`,
        ),
    );
}

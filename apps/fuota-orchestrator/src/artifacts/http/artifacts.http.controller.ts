import { CurrentActor, Roles } from '@fleet/auth';
import { NotFoundError, ValidationError, type Actor } from '@fleet/core';
import { parseBody, parseInput, withHttpStatus } from '@fleet/observability';
import { commandMetadata } from '@fleet/platform';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import {
  declarationOf,
  declareArtifactBody,
  downloadLinkBody,
  isArtifactId,
  listArtifactsQuery,
} from '../artifact-request';
import type { ArtifactView } from '../artifact-view';
import { ArtifactCatalogue } from '../catalogue/artifact-catalogue';
import { DeclareArtifactHandler } from '../declare-artifact/declare-artifact.handler';
import { ArtifactLedger } from '../ledger/artifact-ledger';
import { ArtifactTable } from '../read-model/artifact-table';
import { ARTIFACT_SETTINGS, type ArtifactSettings } from '../settings/artifact-settings';
import { UploadImageHandler } from '../upload-image/upload-image.handler';

const READERS = ['admin', 'operator', 'support', 'viewer'] as const;

function artifactIdOf(id: string): string {
  if (!isArtifactId(id)) throw new NotFoundError(`artifact ${id} does not exist`, { artifactId: id });
  return id;
}

function contentLengthOf(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (!/^\d{1,15}$/.test(header)) throw new ValidationError(`Content-Length "${header}" is not a byte count`);
  return Number(header);
}

/** Firmware artifacts: declare (signed metadata), upload the image, list, inspect (docs/fuota-artifacts.md). */
@Controller('artifacts')
export class ArtifactsHttpController {
  private readonly declarationSchema: ReturnType<typeof declareArtifactBody>;

  constructor(
    private readonly declarations: DeclareArtifactHandler,
    private readonly images: UploadImageHandler,
    private readonly ledger: ArtifactLedger,
    private readonly table: ArtifactTable,
    private readonly catalogue: ArtifactCatalogue,
    @Inject(ARTIFACT_SETTINGS) settings: ArtifactSettings,
  ) {
    this.declarationSchema = declareArtifactBody(settings.maxImageBytes);
  }

  /** 201 awaiting its image; 422 refused (recorded), 409 version already published, 400 malformed. */
  @Post()
  @HttpCode(201)
  @Roles('admin', 'operator')
  async declare(
    @Body() body: unknown,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ): Promise<ArtifactView> {
    const parsed = parseBody(this.declarationSchema, body);
    return this.declarations.declare(
      declarationOf(parsed),
      commandMetadata({ actor, reason: parsed.reason ?? null, correlationId }),
    );
  }

  /** The raw image (application/octet-stream), streamed to storage; 200 published, 422 refused. */
  @Put(':id/image')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async upload(
    @Param('id') id: string,
    @Req() request: IncomingMessage,
    @CurrentActor() actor: Actor,
    @Headers('x-correlation-id') correlationId: string | undefined,
  ): Promise<ArtifactView> {
    const artifactId = artifactIdOf(id);
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/octet-stream') {
      throw withHttpStatus(
        new ValidationError(
          `send the image as Content-Type application/octet-stream, not "${type || 'none'}"`,
        ),
        415,
      );
    }
    return this.images.upload(
      artifactId,
      { body: request, contentLength: contentLengthOf(request.headers['content-length']) },
      commandMetadata({ actor, reason: null, correlationId }),
    );
  }

  @Get()
  @Roles(...READERS)
  async list(@Query() query: Record<string, unknown>): Promise<{ items: ArtifactView[] }> {
    return { items: await this.table.list(parseInput(listArtifactsQuery, query, 'query')) };
  }

  @Get(':id')
  @Roles(...READERS)
  async get(@Param('id') id: string): Promise<ArtifactView> {
    const view = await this.catalogue.get(id);
    if (!view) throw new NotFoundError(`artifact ${id} does not exist`, { artifactId: id });
    return view;
  }

  /** Every event of the artifact, refusals included: who uploaded what, when, and why it was refused. */
  @Get(':id/history')
  @Roles(...READERS)
  async history(@Param('id') id: string) {
    const events = await this.ledger.history(artifactIdOf(id));
    if (events.length === 0) throw new NotFoundError(`artifact ${id} does not exist`, { artifactId: id });
    return {
      artifactId: id,
      items: events.map((e) => ({
        eventId: e.id,
        type: e.type,
        version: Number(e.revision) + 1,
        occurredAt: e.metadata.occurredAt,
        recordedAt: e.recordedAt,
        actor: e.metadata.actor,
        reason: e.metadata.reason,
        correlationId: e.metadata.correlationId,
        causationId: e.metadata.causationId,
        data: e.data,
      })),
    };
  }

  /** A download link for one device (what campaigns write to the device's Package URI). */
  @Post(':id/download-links')
  @HttpCode(201)
  @Roles('admin', 'operator')
  async downloadLink(@Param('id') id: string, @Body() body: unknown) {
    const { deviceId } = parseBody(downloadLinkBody, body);
    const artifactId = artifactIdOf(id);
    return { artifactId, deviceId, ...(await this.catalogue.downloadLink(artifactId, deviceId)) };
  }
}

import { pipeline } from 'node:stream/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { Public } from '@fleet/auth';
import { FleetError, NotFoundError, UnauthenticatedError, ForbiddenError } from '@fleet/core';
import { Controller, Get, Inject, Logger, Param, Req, Res } from '@nestjs/common';
import { storageKeyOf } from '../artifact-view';
import { answerRange, contentRange, rangeStillValid } from '../byte-range';
import { ArtifactCatalogue } from '../catalogue/artifact-catalogue';
import { DownloadTokens } from '../download/download-tokens';
import { DOWNLOAD_TOKEN, type DownloadRequest } from '../download/token-redaction.middleware';
import { ArtifactMetrics } from '../metrics/artifact-metrics';
import { ARTIFACT_STORAGE, type ArtifactStorage } from '../storage/artifact-storage.port';

/**
 * Package downloads by devices (GET and HEAD). No bearer token: the `token` query parameter is
 * the credential (per device, per artifact, short-lived). Ranges let a device resume.
 */
@Controller('firmware')
@Public()
export class FirmwareDownloadHttpController {
  private readonly logger = new Logger(FirmwareDownloadHttpController.name);

  constructor(
    private readonly tokens: DownloadTokens,
    private readonly catalogue: ArtifactCatalogue,
    private readonly metrics: ArtifactMetrics,
    @Inject(ARTIFACT_STORAGE) private readonly storage: ArtifactStorage,
  ) {}

  @Get(':artifactId/package')
  async download(
    @Param('artifactId') artifactId: string,
    @Req() request: DownloadRequest,
    @Res() response: ServerResponse,
  ): Promise<void> {
    let prepared: Prepared;
    try {
      prepared = await this.prepare(artifactId, request[DOWNLOAD_TOKEN], request);
    } catch (error) {
      this.metrics.downloads.inc({ result: resultOf(error) });
      throw error;
    }
    const { size, etag, range, body } = prepared;
    response.setHeader('Accept-Ranges', 'bytes');
    response.setHeader('ETag', etag);
    // Firmware bytes must reach the device exactly as signed: no proxy may recompress them.
    response.setHeader('Cache-Control', 'private, no-transform');
    if (range === 'unsatisfiable') {
      this.metrics.downloads.inc({ result: 'unsatisfiable' });
      response.statusCode = 416;
      response.setHeader('Content-Range', contentRange(size));
      response.end();
      return;
    }
    response.statusCode = range ? 206 : 200;
    response.setHeader('Content-Type', 'application/octet-stream');
    response.setHeader('Content-Length', String(range ? range.end - range.start + 1 : size));
    response.setHeader('Content-Disposition', `attachment; filename="${artifactId}.fwp"`);
    if (range) response.setHeader('Content-Range', contentRange(size, range));
    this.metrics.downloads.inc({ result: range ? 'partial' : 'complete' });
    if (!body) {
      response.end();
      return;
    }
    body.on('data', (chunk: Buffer) => this.metrics.downloadBytes.inc(chunk.length));
    try {
      await pipeline(body, response);
    } catch (error) {
      // Devices on flaky links hang up mid-download all the time; they resume with a Range.
      this.logger.debug({ artifactId, err: error }, 'package download interrupted');
    }
  }

  /** Everything that may fail before the status line: token, artifact, range, opening the object. */
  private async prepare(
    artifactId: string,
    token: string | undefined,
    request: IncomingMessage,
  ): Promise<Prepared> {
    // The token first: without one, nobody learns whether an artifact exists.
    await this.tokens.verify(token, artifactId);
    const view = await this.catalogue.get(artifactId);
    if (!view || view.status !== 'published' || view.packageSize === null) {
      throw new NotFoundError(`artifact ${artifactId} has no published package`, { artifactId });
    }
    const size = view.packageSize;
    // The package is immutable and derived from the image, so the image digest identifies it.
    const etag = `"${view.sha256}"`;
    const answer = rangeStillValid(header(request, 'if-range'), etag)
      ? answerRange(header(request, 'range'), size)
      : ({ kind: 'whole' } as const);
    if (answer.kind === 'unsatisfiable') return { size, etag, range: 'unsatisfiable', body: undefined };
    const range = answer.kind === 'partial' ? { start: answer.start, end: answer.end } : undefined;
    const body =
      request.method === 'HEAD' ? undefined : await this.storage.read(storageKeyOf(artifactId), range);
    return { size, etag, range, body };
  }
}

interface Prepared {
  readonly size: number;
  readonly etag: string;
  readonly range: { start: number; end: number } | 'unsatisfiable' | undefined;
  /** Undefined for HEAD. */
  readonly body: Readable | undefined;
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function resultOf(error: unknown): string {
  if (error instanceof UnauthenticatedError || error instanceof ForbiddenError) return 'refused';
  if (error instanceof NotFoundError) return 'missing';
  return error instanceof FleetError ? error.code.toLowerCase() : 'error';
}

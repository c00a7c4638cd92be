import { randomUUID } from 'node:crypto';
import { FleetError, mapConcurrently, ValidationError, type Actor } from '@fleet/core';
import { CurrentActor, Roles } from '@fleet/auth';
import { commandMetadata } from '@fleet/platform';
import { Body, Controller, Headers, HttpCode, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { ProvisionDeviceHandler } from '../provision-device/provision-device.handler';
import { provisionDeviceRequest } from '../provision-device/provision-device.request';
import { rowsFromCsv, rowsFromJson, type SourceRow } from './bulk-rows';

export interface RowResult {
  readonly row: number;
  readonly serial: string | null;
  readonly status: 'created' | 'existing' | 'failed';
  readonly deviceId?: string;
  readonly errors?: readonly string[];
  readonly oneTimeCredentials?: Readonly<Record<string, string>>;
}

const MAX_ROWS = 10_000;
const CONCURRENCY = 16;

@Controller('devices')
export class BulkProvisionHttpController {
  constructor(private readonly handler: ProvisionDeviceHandler) {}

  /**
   * Provisions many devices from CSV (`Content-Type: text/csv`) or JSON (an array, or
   * `{devices, reason}`). Every row gets its own result; valid rows land even when others fail;
   * rows whose serial is already provisioned answer `existing`. All events carry the job id as
   * their correlation id, so the whole import can be traced.
   */
  @Post('bulk')
  @HttpCode(200)
  @Roles('admin', 'operator')
  async provision(
    @Body() body: unknown,
    @Query('reason') reasonParameter: string | undefined,
    @CurrentActor() actor: Actor,
    @Headers('content-type') contentType: string | undefined,
  ) {
    const csv = contentType?.startsWith('text/csv') ?? false;
    if (csv && typeof body !== 'string') throw new ValidationError('body: empty CSV upload');
    const rows = csv ? rowsFromCsv(body as string) : rowsFromJson(body);
    if (rows.length > MAX_ROWS)
      throw new ValidationError(`body: at most ${MAX_ROWS} rows per upload, got ${rows.length}`);
    const reason = z
      .string()
      .trim()
      .max(500)
      .optional()
      .parse(reasonParameter ?? (body as { reason?: unknown } | null)?.reason ?? undefined);
    const jobId = `bulk-${randomUUID()}`;
    const results = await mapConcurrently(rows, CONCURRENCY, (row) =>
      this.provisionRow(row, actor, jobId, reason),
    );
    const count = (status: RowResult['status']) => results.filter((r) => r.status === status).length;
    return {
      jobId,
      total: results.length,
      created: count('created'),
      existing: count('existing'),
      failed: count('failed'),
      results,
    };
  }

  private async provisionRow(
    source: SourceRow,
    actor: Actor,
    jobId: string,
    reason: string | undefined,
  ): Promise<RowResult> {
    const serial = (source.value as { serial?: unknown } | null)?.serial;
    const base = { row: source.row, serial: typeof serial === 'string' ? serial : null };
    const parsed = provisionDeviceRequest.safeParse(source.value);
    if (!parsed.success) {
      return {
        ...base,
        status: 'failed',
        errors: parsed.error.issues.map((i) => `${i.path.join('.') || '(row)'}: ${i.message}`),
      };
    }
    try {
      const outcome = await this.handler.handle(
        parsed.data,
        commandMetadata({ actor, reason: parsed.data.reason ?? reason ?? null, correlationId: jobId }),
      );
      return {
        ...base,
        status: outcome.created ? 'created' : 'existing',
        deviceId: outcome.deviceId,
        ...(outcome.oneTime && Object.keys(outcome.oneTime).length > 0
          ? { oneTimeCredentials: outcome.oneTime }
          : {}),
      };
    } catch (error) {
      if (!(error instanceof FleetError)) throw error;
      return { ...base, status: 'failed', errors: [error.message] };
    }
  }
}

import { Metrics } from '@fleet/observability';
import { Injectable } from '@nestjs/common';
import type { Counter } from 'prom-client';

/** Prometheus counters of uploads and device downloads (`GET /metrics`). */
@Injectable()
export class ArtifactMetrics {
  /** `outcome`: published, or the refusal reason (unsigned, bad-signature, hash-mismatch...). */
  readonly uploads: Counter<'outcome'>;
  /** `result`: complete (200), partial (206), unsatisfiable (416), refused (401/403), missing (404). */
  readonly downloads: Counter<'result'>;
  /** Package bytes sent to devices (bodies of 200 and 206 answers). */
  readonly downloadBytes: Counter;

  constructor(metrics: Metrics) {
    this.uploads = metrics.counter('fuota_artifact_uploads_total', 'Firmware artifact uploads by outcome', [
      'outcome',
    ]);
    this.downloads = metrics.counter(
      'fuota_firmware_downloads_total',
      'Firmware package download requests by result',
      ['result'],
    );
    this.downloadBytes = metrics.counter(
      'fuota_firmware_download_bytes_total',
      'Firmware package bytes sent to devices',
    );
  }
}

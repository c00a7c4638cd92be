import { setTimeout as sleep } from 'node:timers/promises';
import { UpdateResult, type DownloadFailure } from '../../device/firmware-update';
import { DownloadRefusedError } from './package-verifier';

export interface DownloadOptions {
  /** Bytes asked for per request (`Range: bytes=a-b`). */
  readonly chunkBytes: number;
  /** Failed requests in a row before giving up (a request that brought bytes resets the count). */
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly requestTimeoutMs: number;
  /** Cancels the download (a new Package URI, a reboot, the simulator stopping). */
  readonly signal: AbortSignal;
  /** Takes the bytes in order; throws DownloadRefusedError to stop with that result. */
  readonly onBytes: (bytes: Buffer) => void;
}

export type DownloadOutcome =
  | { readonly ok: true; readonly bytes: number; readonly requests: number }
  | { readonly ok: false; readonly result: DownloadFailure; readonly reason: string };

/**
 * Downloads a package over HTTP(S) in Range requests of `chunkBytes`, resuming from the last byte
 * received after a dropped connection, a timeout or a 5xx. A server that ignores Range (200) sends
 * the whole package; the bytes already taken are skipped. Another 4xx means the URI is wrong
 * (Update Result 7); too many failures in a row mean the connection is lost (4).
 */
export async function downloadPackage(uri: string, options: DownloadOptions): Promise<DownloadOutcome> {
  const { chunkBytes, signal } = options;
  const where = withoutQuery(uri);
  let offset = 0;
  let total: number | undefined;
  let requests = 0;
  let failuresInRow = 0;
  const take = async (body: ReadableStream<Uint8Array> | null, skip: number) => {
    let skipped = 0;
    for await (const part of body ?? []) {
      let bytes = Buffer.from(part);
      if (skipped < skip) {
        const dropped = Math.min(skip - skipped, bytes.length);
        skipped += dropped;
        bytes = bytes.subarray(dropped);
      }
      if (bytes.length === 0) continue;
      options.onBytes(bytes);
      offset += bytes.length;
    }
  };
  while (total === undefined || offset < total) {
    const before = offset;
    try {
      requests++;
      const last = Math.min(offset + chunkBytes, total ?? Number.POSITIVE_INFINITY) - 1;
      const response = await fetch(uri, {
        headers: { range: `bytes=${offset}-${last}` },
        signal: AbortSignal.any([signal, AbortSignal.timeout(options.requestTimeoutMs)]),
      });
      if (response.status === 206) {
        const range = parseContentRange(response.headers.get('content-range'));
        if (range?.start !== offset) {
          await response.body?.cancel();
          throw new DownloadRefusedError(
            UpdateResult.ConnectionLost,
            `${where} answered ${response.headers.get('content-range') ?? 'no Content-Range'} for bytes ${offset}-${last}`,
          );
        }
        total = range.total ?? total;
        await take(response.body, 0);
        // A server that does not say the total is done when it has nothing more to give.
        if (total === undefined && offset === before) total = offset;
      } else if (response.status === 200) {
        const length = Number(response.headers.get('content-length'));
        await take(response.body, offset);
        total = Number.isInteger(length) && length > 0 ? length : offset;
      } else if (response.status === 416 && total !== undefined && offset >= total) {
        break;
      } else if (response.status >= 500 || response.status === 408 || response.status === 429) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      } else {
        await response.body?.cancel();
        return failure(UpdateResult.InvalidUri, `${where} answered HTTP ${response.status}`);
      }
      failuresInRow = 0;
    } catch (error) {
      if (error instanceof DownloadRefusedError) return failure(error.result, error.message);
      if (signal.aborted) return failure(UpdateResult.ConnectionLost, 'the download was cancelled');
      failuresInRow = offset > before ? 1 : failuresInRow + 1;
      if (failuresInRow > options.retries) {
        const of = total === undefined ? '' : ` of ${total}`;
        return failure(
          UpdateResult.ConnectionLost,
          `connection lost during download after ${offset}${of} bytes: ${messageOf(error)}`,
        );
      }
      await sleep(options.retryDelayMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return { ok: true, bytes: offset, requests };
}

const failure = (result: DownloadFailure, reason: string): DownloadOutcome => ({ ok: false, result, reason });

/** `bytes a-b/total` (total may be `*`). */
function parseContentRange(header: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[3] === '*' ? {} : { total: Number(match[3]) }) };
}

/** The URI without its query: the download token stays out of reasons and logs. */
function withoutQuery(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.origin}${url.pathname}`;
  } catch {
    return uri.split('?')[0] ?? uri;
  }
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

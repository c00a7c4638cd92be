import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KeyObject } from 'node:crypto';
import { encodeFirmwarePackage, sha256Hex, signFirmware } from '@fleet/firmware';

/** A signed package of `imageBytes` bytes (deterministic filler), as a manufacturer's pipeline builds it. */
export function signedPackage(
  version: string,
  imageBytes: number,
  key: { readonly keyId: string; readonly privateKey: KeyObject },
): Buffer {
  const image = Buffer.alloc(imageBytes, 0);
  for (let i = 0; i < imageBytes; i++) image[i] = (i * 31 + 7) & 0xff;
  const facts = { sha256: sha256Hex(image), size: image.length, version };
  const signature = signFirmware(facts, key.privateKey, 'ecdsa-p256');
  return encodeFirmwarePackage({ algorithm: 'ecdsa-p256', keyId: key.keyId, version, signature }, image);
}

/** The same package with one image byte flipped: its digest no longer matches the signed one. */
export function tampered(pkg: Buffer): Buffer {
  const copy = Buffer.from(pkg);
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
  return copy;
}

export interface ServedRequest {
  readonly path: string;
  readonly range: string | null;
  readonly status: number;
}

/**
 * A tiny HTTP server of firmware packages with `Range: bytes=a-b` (206), as the orchestrator's
 * download endpoint answers, and faults on demand: a connection dropped mid-body, 503s.
 */
export class PackageServer {
  readonly requests: ServedRequest[] = [];
  /** Answer every request with the whole package (200), as a server without Range support does. */
  ignoreRanges = false;
  private readonly packages = new Map<string, Buffer>();
  private faults: { kind: 'drop'; afterBytes: number }[] | { kind: 'status'; status: number }[] = [];
  private server?: Server;
  private base = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => this.answer(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  /** Serves `bytes` at `path`; returns its URL with a token in the query, as Package URIs carry one. */
  serve(path: string, bytes: Buffer): string {
    this.packages.set(path, bytes);
    return `${this.base}${path}?token=t-${path.length}`;
  }

  /** The next `times` requests send `afterBytes` bytes of their body, then the connection drops. */
  dropConnections(times: number, afterBytes: number): void {
    this.faults = Array.from({ length: times }, () => ({ kind: 'drop' as const, afterBytes }));
  }

  /** The next `times` requests are answered with `status` and no body. */
  failRequests(times: number, status: number): void {
    this.faults = Array.from({ length: times }, () => ({ kind: 'status' as const, status }));
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', this.base);
    const range = request.headers.range ?? null;
    const record = (status: number) => this.requests.push({ path: url.pathname, range, status });
    const bytes = this.packages.get(url.pathname);
    if (!bytes) {
      record(404);
      return void response.writeHead(404).end();
    }
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      record(fault.status);
      return void response.writeHead(fault.status).end();
    }
    const match = this.ignoreRanges ? null : /^bytes=(\d+)-(\d*)$/.exec(range ?? '');
    const start = match ? Number(match[1]) : 0;
    const end = match?.[2] ? Math.min(Number(match[2]), bytes.length - 1) : bytes.length - 1;
    if (match && start >= bytes.length) {
      record(416);
      return void response.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
    }
    const body = bytes.subarray(start, end + 1);
    const status = match ? 206 : 200;
    record(status);
    response.writeHead(status, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      ...(match ? { 'content-range': `bytes ${start}-${end}/${bytes.length}` } : {}),
    });
    if (fault?.kind === 'drop') {
      response.write(body.subarray(0, fault.afterBytes), () => response.socket?.destroy());
      return;
    }
    response.end(body);
  }
}

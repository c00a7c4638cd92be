import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type NestMiddleware } from '@nestjs/common';

/** Where the download token is kept once it has been taken out of the URL. */
export const DOWNLOAD_TOKEN = Symbol('download-token');

export type DownloadRequest = IncomingMessage & { [DOWNLOAD_TOKEN]?: string; originalUrl?: string };

/**
 * Takes the download token out of the request URL before the request logger sees it: URLs end
 * up in access logs and log aggregation, and a token there is a working link for days. Runs
 * before pino-http because Nest applies the middleware of modules nearer the root first (the
 * e2e test checks the service's log lines).
 */
@Injectable()
export class DownloadTokenRedaction implements NestMiddleware {
  use(request: DownloadRequest, _response: ServerResponse, next: () => void): void {
    const url = withoutToken(request.url ?? '');
    if (url.token !== null) {
      request[DOWNLOAD_TOKEN] = url.token;
      request.url = url.redacted;
      if (request.originalUrl) request.originalUrl = withoutToken(request.originalUrl).redacted;
    }
    next();
  }
}

function withoutToken(url: string): { token: string | null; redacted: string } {
  const query = url.indexOf('?');
  if (query < 0) return { token: null, redacted: url };
  const params = new URLSearchParams(url.slice(query + 1));
  const token = params.get('token');
  if (token === null) return { token, redacted: url };
  params.set('token', 'redacted');
  return { token, redacted: `${url.slice(0, query)}?${params.toString()}` };
}

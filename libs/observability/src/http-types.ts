import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The parts of Express's request we rely on (the repo does not depend on @types/express).
 * pino-http's typings add `id` and `log` (the request-bound logger) to IncomingMessage.
 */
export interface HttpRequest extends IncomingMessage {
  readonly route?: { readonly path?: unknown };
}

/** The parts of Express's response we rely on. */
export interface HttpResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
}

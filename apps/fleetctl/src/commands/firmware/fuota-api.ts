import { createReadStream } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ApiError, toQueryString, UnreachableError, type Query } from '../../api-client';
import { NoTokenError } from '../../token';

export const DEFAULT_FUOTA_URL = 'http://127.0.0.1:3003';

/** An artifact as fuota-orchestrator answers it (docs/fuota-artifacts.md). */
export interface Artifact {
  readonly artifactId: string;
  readonly version: string;
  readonly models: readonly string[];
  readonly hardwareRevisions: readonly string[];
  readonly sha256: string;
  readonly size: number;
  readonly keyId: string | null;
  readonly algorithm: string;
  readonly status: string;
  readonly releaseNotes: string | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly publishedAt: string | null;
  readonly packageSize: number | null;
  readonly refusal: { readonly stage: string; readonly reason: string; readonly detail: string } | null;
}

export interface ArtifactHistoryEntry {
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly reason: string | null;
  readonly correlationId: string | null;
  readonly data: Record<string, unknown>;
}

class FuotaUnreachableError extends UnreachableError {
  constructor(baseUrl: string, reason: string) {
    super(baseUrl, reason);
    this.message = `fuota-orchestrator is not reachable at ${baseUrl}: is the stack running (npm start)? (${reason})`;
  }
}

/**
 * An operator token for uploads: --token / FLEET_TOKEN, else one signed with the local
 * development key (role operator), honouring AUTH_* like `npm run token`.
 */
export async function issueOperatorToken(env: NodeJS.ProcessEnv): Promise<string> {
  const setting = (key: string) => (env[key] ? env[key] : undefined);
  try {
    const { issueDevToken } = await import('@fleet/auth');
    return await issueDevToken({
      role: 'operator',
      subject: 'fleetctl',
      ttl: '1h',
      issuer: setting('AUTH_ISSUER'),
      audience: setting('AUTH_AUDIENCE'),
      devKeyDir: setting('AUTH_DEV_KEY_DIR'),
    });
  } catch (error) {
    throw new NoTokenError(error instanceof Error ? error.message : String(error));
  }
}

/** fuota-orchestrator's artifact API; uploads stream from the file, whatever its size. */
export class FuotaApi {
  private readonly baseUrl: string;
  private token?: Promise<string>;

  constructor(
    baseUrl: string,
    private readonly getToken: () => Promise<string>,
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  declare(body: Record<string, unknown>): Promise<Artifact> {
    return this.send('POST', '/artifacts', { type: 'application/json', body: JSON.stringify(body) });
  }

  uploadImage(artifactId: string, path: string, size: number): Promise<Artifact> {
    return this.send('PUT', `/artifacts/${encodeURIComponent(artifactId)}/image`, {
      type: 'application/octet-stream',
      file: { path, size },
    });
  }

  list(query: Query): Promise<{ items: Artifact[] }> {
    return this.send('GET', `/artifacts${toQueryString(query)}`);
  }

  get(artifactId: string): Promise<Artifact> {
    return this.send('GET', `/artifacts/${encodeURIComponent(artifactId)}`);
  }

  history(artifactId: string): Promise<{ items: ArtifactHistoryEntry[] }> {
    return this.send('GET', `/artifacts/${encodeURIComponent(artifactId)}/history`);
  }

  private async send<T>(
    method: string,
    path: string,
    content?: { type: string; body?: string; file?: { path: string; size: number } },
  ): Promise<T> {
    this.token ??= this.getToken();
    const token = await this.token;
    const url = new URL(`${this.baseUrl}${path}`);
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${token}` };
    if (content) {
      headers['content-type'] = content.type;
      headers['content-length'] = String(content.file?.size ?? Buffer.byteLength(content.body ?? ''));
    }
    const response = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
        url,
        { method, headers },
        (res: IncomingMessage) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
          res.on('error', reject);
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) =>
        reject(new FuotaUnreachableError(this.baseUrl, error.code ?? error.message)),
      );
      if (content?.file) createReadStream(content.file.path).on('error', reject).pipe(request);
      else request.end(content?.body);
    });
    return parseAnswer<T>(response.status, response.text, path);
  }
}

function parseAnswer<T>(status: number, text: string, path: string): T {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  if (status >= 200 && status < 300 && body !== undefined) return body as T;
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const code = [fields['code'], fields['error']].find((v): v is string => typeof v === 'string');
  const message =
    typeof fields['message'] === 'string'
      ? fields['message']
      : text.trim().slice(0, 200) || `answer to ${path}`;
  throw new ApiError(status, code ?? `HTTP_${status}`, message, body ?? text);
}

/** The few device-twin calls provisioning needs (docs/device-twin.md), over fetch. */

/** device-twin answered with an error, or not at all. */
export class DeviceTwinError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
    this.name = 'DeviceTwinError';
  }
}

export interface DeviceTwinHttpOptions {
  /** Default `http://127.0.0.1:3001`. */
  readonly baseUrl?: string;
  /** Bearer token of an `operator` or `admin`; asked once. */
  readonly token: () => Promise<string>;
  readonly fetch?: typeof fetch;
  /** Per request; bulk provisioning of 1000 devices takes a while. Default 120000. */
  readonly timeoutMs?: number;
}

export class DeviceTwinHttp {
  readonly baseUrl: string;
  private token?: Promise<string>;

  constructor(private readonly options: DeviceTwinHttpOptions) {
    this.baseUrl = (options.baseUrl ?? 'http://127.0.0.1:3001').replace(/\/+$/, '');
  }

  get<T>(path: string): Promise<T> {
    return this.request('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request('POST', path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.token ??= this.options.token();
    const headers: Record<string, string> = {
      accept: 'application/json',
      authorization: `Bearer ${await this.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    let response: Response;
    try {
      response = await (this.options.fetch ?? fetch)(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 120_000),
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new DeviceTwinError(`device-twin is not reachable at ${this.baseUrl} (${reason})`, null);
    }
    const text = await response.text();
    if (!response.ok) {
      throw new DeviceTwinError(`${method} ${path}: ${response.status} ${messageOf(text)}`, response.status);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DeviceTwinError(
        `${method} ${path}: expected JSON, got ${text.slice(0, 200)}`,
        response.status,
      );
    }
  }
}

function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
    if (Array.isArray(body.message)) return body.message.join('; ');
  } catch {
    // not JSON: show the text itself
  }
  return text.slice(0, 300);
}

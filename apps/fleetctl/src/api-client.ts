/**
 * A small typed client of the device-twin HTTP API. Types mirror the API contract; fields that
 * older servers omit are optional so that formatting can degrade gracefully.
 */

export type ConfigValue = string | number | boolean | null;
export type Configuration = Readonly<Record<string, ConfigValue>>;

export interface PropertyMetadata {
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly correlationId: string | null;
  readonly jobId: string | null;
  readonly version: number;
}

export interface Connectivity {
  readonly lastSeenAt: string | null;
  readonly online: boolean;
  readonly batteryPercent: number | null;
  readonly rssi: number | null;
  readonly snr: number | null;
  readonly uplinkCount: number;
  readonly downlinkCount: number;
  readonly airtime: {
    readonly windowStart: string;
    readonly usedMs: number;
    /** Null when the band plan has no duty cycle. */
    readonly budgetMs: number | null;
  } | null;
}

export interface Twin {
  readonly deviceId: string;
  readonly tenant?: string;
  readonly serial: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly hardwareRevision: string | null;
  readonly firmwareVersion: string | null;
  readonly deviceClass?: {
    readonly kind: string;
    readonly wakeIntervalSeconds: number | null;
    readonly lorawanClass: string | null;
    readonly devEui: string | null;
  };
  readonly region: string | null;
  readonly tags: readonly string[];
  readonly attributes?: Readonly<Record<string, string>>;
  readonly status: string;
  readonly statusReason?: string | null;
  readonly statusChangedAt?: string;
  readonly credential?: {
    readonly type: string | null;
    readonly certificateFingerprint: string | null;
    readonly certificateNotAfter: string | null;
    readonly kekId: string | null;
    readonly issuedAt: string | null;
    readonly revoked: boolean;
  };
  readonly desired?: Configuration;
  readonly reported?: Configuration;
  readonly delta?: Configuration;
  readonly metadata?: {
    readonly desired?: Readonly<Record<string, PropertyMetadata>>;
    readonly reported?: Readonly<Record<string, PropertyMetadata>>;
  };
  readonly version: number;
  readonly provisionedAt?: string;
  readonly provisionedBy?: string;
  readonly updatedAt?: string;
  readonly updatedBy?: string;
  /** Null before the first uplink; absent in historical states. */
  readonly connectivity?: Connectivity | null;
}

export interface HistoryEntry {
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actor: { readonly type: string; readonly id: string };
  readonly reason: string | null;
  readonly correlationId: string | null;
  readonly causationId: string | null;
  readonly data: Record<string, unknown>;
}

export interface HistoryPage {
  readonly deviceId: string;
  readonly entries: readonly HistoryEntry[];
  readonly nextCursor?: string | null;
}

export interface HistoricalState {
  readonly deviceId: string;
  readonly at: string | null;
  readonly version: number;
  readonly twin: Twin;
}

export interface DeviceList {
  readonly items: readonly Twin[];
  readonly total: number;
  readonly nextCursor: string | null;
}

export type QueryValue = string | number | boolean | readonly string[] | undefined;
export type Query = Readonly<Record<string, QueryValue>>;

export interface HistoryQuery {
  readonly type?: readonly string[];
  readonly actor?: string;
  readonly from?: string;
  readonly to?: string;
  readonly limit?: number;
  readonly cursor?: string;
}

/** An answer of the API other than 2xx, with its `{statusCode, code, message}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Nothing answered at the base URL (connection refused, DNS failure, timeout). */
export class UnreachableError extends Error {
  constructor(
    readonly baseUrl: string,
    readonly reason: string,
  ) {
    super(`device-twin is not reachable at ${baseUrl}: is the stack running (npm start)? (${reason})`);
    this.name = 'UnreachableError';
  }
}

/** Query string with repeated keys for arrays (`tag=a&tag=b`); undefined values are left out. */
export function toQueryString(query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value as readonly string[]) params.append(key, item);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  /** Called once, on the first request. */
  readonly token: () => Promise<string>;
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export class FleetApi {
  private readonly baseUrl: string;
  private token?: Promise<string>;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  getDevice(id: string): Promise<Twin> {
    return this.get(`/devices/${encodeURIComponent(id)}`);
  }

  history(id: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    return this.get(`/devices/${encodeURIComponent(id)}/history${toQueryString({ ...query })}`);
  }

  /** Every page of the history, following `nextCursor`; `limit` is the page size. */
  async fullHistory(id: string, query: HistoryQuery = {}): Promise<HistoryPage> {
    const entries: HistoryEntry[] = [];
    let cursor = query.cursor;
    for (;;) {
      const page = await this.history(id, { ...query, cursor });
      entries.push(...page.entries);
      if (!page.nextCursor || page.nextCursor === cursor) return { ...page, entries, nextCursor: null };
      cursor = page.nextCursor;
    }
  }

  state(id: string, at: { at: string } | { version: number }): Promise<HistoricalState> {
    return this.get(`/devices/${encodeURIComponent(id)}/state${toQueryString(at)}`);
  }

  findDevices(query: Query): Promise<DeviceList> {
    return this.get(`/devices${toQueryString(query)}`);
  }

  private async get<T>(path: string): Promise<T> {
    this.token ??= this.options.token();
    const token = await this.token;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.baseUrl}${path}`, {
        headers: { accept: 'application/json', authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new UnreachableError(this.baseUrl, networkReason(error));
    }
    const text = await response.text();
    const body = parseJson(text);
    if (!response.ok) throw toApiError(response, body, text);
    if (body === undefined) {
      throw new ApiError(
        response.status,
        'BAD_RESPONSE',
        `expected JSON from ${path}, got: ${text.slice(0, 200)}`,
        text,
      );
    }
    return body as T;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toApiError(response: Response, body: unknown, text: string): ApiError {
  const fields = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  // The contract says `code`; older servers put the code in `error`.
  const code = [fields['code'], fields['error']].find((v): v is string => typeof v === 'string');
  const message =
    typeof fields['message'] === 'string'
      ? fields['message']
      : text.trim().slice(0, 200) || response.statusText || 'no message';
  return new ApiError(response.status, code ?? `HTTP_${response.status}`, message, body ?? text);
}

function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'no answer within the timeout';
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

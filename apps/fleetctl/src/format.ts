/** Pure rendering of API answers as text for people; every function returns a string. */
import Table from 'cli-table3';
import type {
  Configuration,
  Connectivity,
  DeviceList,
  HistoricalState,
  HistoryEntry,
  PropertyMetadata,
  Twin,
} from './api-client';

const NONE = '-';

/**
 * A boxed table without colours, so output stays the same in a terminal, a pipe or a test; only
 * the header is ruled off, so that long histories stay compact.
 */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const t = new Table({ head: [...head], style: { head: [], border: [] } });
  t.push(...rows.map((row) => [...row]));
  let rules = 0;
  return t
    .toString()
    .split('\n')
    .filter((line) => !line.startsWith('├') || rules++ === 0)
    .join('\n');
}

export function formatValue(value: unknown): string {
  if (value === undefined || value === null || value === '') return NONE;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Keys desired but not (yet) reported with the same value, when the server sends no delta. */
export function computeDelta(desired: Configuration, reported: Configuration): Configuration {
  return Object.fromEntries(Object.entries(desired).filter(([key, value]) => reported[key] !== value));
}

/** Rows `parameter | desired | reported | pending`, one per key of either side, sorted by key. */
export function configurationRows(twin: Pick<Twin, 'desired' | 'reported' | 'delta'>): string[][] {
  const desired = twin.desired ?? {};
  const reported = twin.reported ?? {};
  const delta = twin.delta ?? computeDelta(desired, reported);
  const keys = [
    ...new Set([...Object.keys(desired), ...Object.keys(reported), ...Object.keys(delta)]),
  ].sort();
  return keys.map((key) => [
    key,
    key in desired ? formatValue(desired[key]) : NONE,
    key in reported ? formatValue(reported[key]) : NONE,
    key in delta ? (delta[key] === null ? 'yes (remove)' : 'yes') : '',
  ]);
}

/** Rows `parameter | side | updated at | by | correlation / job | version`. */
export function metadataRows(metadata: Twin['metadata']): string[][] {
  const rows: string[][] = [];
  for (const side of ['desired', 'reported'] as const) {
    const entries: [string, PropertyMetadata][] = Object.entries(metadata?.[side] ?? {});
    for (const [key, m] of entries.sort(([a], [b]) => a.localeCompare(b))) {
      const origin = m.jobId ? `job ${m.jobId}` : formatValue(m.correlationId);
      rows.push([key, side, m.updatedAt, m.updatedBy, origin, String(m.version)]);
    }
  }
  return rows;
}

/** `5 min ago`, `3 h ago`, `2 d ago`; `in the future` for clock skew. */
export function ago(iso: string, now: Date): string {
  const seconds = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return '';
  if (seconds < 0) return 'in the future';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)} h ago`;
  return `${Math.floor(seconds / 86_400)} d ago`;
}

function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length));
  return pairs.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`).join('\n');
}

function deviceClass(twin: Twin): string {
  const c = twin.deviceClass;
  if (!c) return NONE;
  const parts = [c.kind];
  if (c.lorawanClass) parts.push(`class ${c.lorawanClass}`);
  if (c.devEui) parts.push(`DevEUI ${c.devEui}`);
  if (c.wakeIntervalSeconds !== null) parts.push(`wakes every ${c.wakeIntervalSeconds} s`);
  return parts.join(', ');
}

function credential(twin: Twin): string {
  const c = twin.credential;
  if (!c) return NONE;
  const parts = [c.type ?? 'none'];
  if (c.certificateFingerprint) parts.push(`fingerprint ${c.certificateFingerprint}`);
  if (c.certificateNotAfter) parts.push(`valid until ${c.certificateNotAfter}`);
  if (c.kekId) parts.push(`KEK ${c.kekId}`);
  if (c.issuedAt) parts.push(`issued ${c.issuedAt}`);
  parts.push(c.revoked ? 'REVOKED' : 'not revoked');
  return parts.join(', ');
}

function status(twin: Twin): string {
  const reason = twin.statusReason ? ` (${twin.statusReason})` : '';
  const since = twin.statusChangedAt ? ` since ${twin.statusChangedAt}` : '';
  return `${twin.status}${reason}${since}`;
}

function by(at: string | undefined, who: string | undefined): string {
  return at ? `${at}${who ? ` by ${who}` : ''}` : NONE;
}

export function formatConnectivity(connectivity: Connectivity | null, now: Date): string {
  if (connectivity === null) return '  no telemetry received yet';
  const c = connectivity;
  const lastSeen = c.lastSeenAt ? `${c.lastSeenAt} (${ago(c.lastSeenAt, now)})` : 'never';
  const radio = [c.rssi !== null ? `RSSI ${c.rssi} dBm` : '', c.snr !== null ? `SNR ${c.snr} dB` : '']
    .filter(Boolean)
    .join(', ');
  return fields([
    ['last seen', lastSeen],
    ['online', c.online ? 'yes' : 'no'],
    ['battery', c.batteryPercent !== null ? `${c.batteryPercent}%` : NONE],
    ['signal', radio || NONE],
    ['uplinks', String(c.uplinkCount)],
    ['downlinks', String(c.downlinkCount)],
    ['air time', airtime(c.airtime)],
  ]);
}

export function airtime(a: Connectivity['airtime']): string {
  if (!a) return NONE;
  const used = `${(a.usedMs / 1000).toFixed(1)} s`;
  if (a.budgetMs === null) return `${used} since ${a.windowStart} (no duty-cycle limit)`;
  const share = a.budgetMs > 0 ? ` (${((a.usedMs / a.budgetMs) * 100).toFixed(0)}%)` : '';
  return `${used} of ${(a.budgetMs / 1000).toFixed(1)} s${share} since ${a.windowStart}`;
}

/** The whole twin: identity, status, configuration, who set it, connectivity. */
export function formatTwin(twin: Twin, now: Date = new Date()): string {
  const attributes = Object.entries(twin.attributes ?? {}).map(([k, v]) => `${k}=${v}`);
  const sections = [
    `Device ${twin.deviceId}`,
    fields([
      ['serial', twin.serial],
      [
        'model',
        `${twin.manufacturer} ${twin.model}${twin.hardwareRevision ? ` rev ${twin.hardwareRevision}` : ''}`,
      ],
      ['tenant', formatValue(twin.tenant)],
      ['status', status(twin)],
      ['class', deviceClass(twin)],
      ['region', formatValue(twin.region)],
      ['firmware', formatValue(twin.firmwareVersion)],
      ['tags', twin.tags.length > 0 ? twin.tags.join(', ') : NONE],
      ['attributes', attributes.length > 0 ? attributes.join(', ') : NONE],
      ['credential', credential(twin)],
      ['provisioned', by(twin.provisionedAt, twin.provisionedBy)],
      ['updated', by(twin.updatedAt, twin.updatedBy)],
      ['version', String(twin.version)],
    ]),
    '',
    'Configuration',
  ];
  const config = configurationRows(twin);
  sections.push(
    config.length > 0 ? table(['parameter', 'desired', 'reported', 'pending'], config) : '  none',
  );
  const metadata = metadataRows(twin.metadata);
  if (metadata.length > 0) {
    sections.push(
      '',
      'Changed by',
      table(['parameter', 'side', 'updated at', 'by', 'correlation / job', 'version'], metadata),
    );
  }
  if (twin.connectivity !== undefined)
    sections.push('', 'Connectivity', formatConnectivity(twin.connectivity, now));
  return sections.join('\n');
}

export function formatHistory(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return 'no events match';
  return table(
    ['version', 'time', 'type', 'actor', 'reason', 'correlation id'],
    entries.map((e) => [
      String(e.version),
      e.occurredAt,
      e.type,
      `${e.actor.type}:${e.actor.id}`,
      formatValue(e.reason),
      formatValue(e.correlationId),
    ]),
  );
}

export function formatState(state: HistoricalState): string {
  const when = state.at ? `at ${state.at} (version ${state.version})` : `at version ${state.version}`;
  return `As it was ${when}\n\n${formatTwin(state.twin)}`;
}

export function formatDeviceList(list: DeviceList): string {
  const rows = list.items.map((d) => [
    d.deviceId,
    d.serial,
    `${d.manufacturer} ${d.model}`,
    formatValue(d.firmwareVersion),
    d.status,
    formatValue(d.connectivity?.lastSeenAt),
    d.connectivity?.batteryPercent != null ? `${d.connectivity.batteryPercent}%` : NONE,
  ]);
  const head = ['id', 'serial', 'model', 'firmware', 'status', 'last seen', 'battery'];
  return [
    rows.length > 0 ? table(head, rows) : 'no devices match',
    `total: ${list.total}`,
    `next cursor: ${list.nextCursor ?? 'none (last page)'}`,
  ].join('\n');
}

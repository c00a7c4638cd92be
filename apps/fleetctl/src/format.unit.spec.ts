import type { Twin } from './api-client';
import {
  airtime,
  ago,
  configurationRows,
  formatDeviceList,
  formatHistory,
  formatTwin,
  table,
} from './format';

const twin = (overrides: Partial<Twin> = {}): Twin => ({
  deviceId: 'meter-42',
  serial: 'SN-1',
  manufacturer: 'Acme',
  model: 'WM-200',
  hardwareRevision: null,
  firmwareVersion: '1.2.0',
  region: 'EU868',
  tags: ['water'],
  status: 'suspended',
  statusReason: 'leak suspected',
  statusChangedAt: '2025-03-01T10:00:00.000Z',
  version: 3,
  ...overrides,
});

describe('fleetctl format', () => {
  it('lays out desired / reported / pending as one sorted row per parameter', () => {
    const rows = configurationRows({
      desired: { 'radio.dataRate': 5, 'application.reportingIntervalSeconds': 900, 'radio.adr': true },
      reported: { 'radio.dataRate': 3, 'radio.adr': true, 'application.logicalName': 'north' },
      delta: { 'radio.dataRate': 5, 'application.reportingIntervalSeconds': 900 },
    });
    expect(rows).toEqual([
      ['application.logicalName', '-', 'north', ''],
      ['application.reportingIntervalSeconds', '900', '-', 'yes'],
      ['radio.adr', 'true', 'true', ''],
      ['radio.dataRate', '5', '3', 'yes'],
    ]);
  });

  it('computes pending from desired and reported when the server sends no delta', () => {
    const rows = configurationRows({ desired: { a: 1, b: 'x' }, reported: { a: 1, b: 'y' } });
    expect(rows.map(([key, , , pending]) => [key, pending])).toEqual([
      ['a', ''],
      ['b', 'yes'],
    ]);
  });

  it('renders a boxed table without colour codes, ruling off the header only', () => {
    const text = table(
      ['parameter', 'desired'],
      [
        ['radio.adr', 'true'],
        ['radio.dataRate', '5'],
      ],
    );
    expect(text).not.toContain('\u001b[');
    const lines = text.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toBe('│ parameter      │ desired │');
    expect(lines[2]).toMatch(/^├─+┼─+┤$/);
    expect(lines[3]).toBe('│ radio.adr      │ true    │');
    expect(lines[4]).toBe('│ radio.dataRate │ 5       │');
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });

  it('shows identity, status with reason, configuration, who changed it and connectivity', () => {
    const text = formatTwin(
      twin({
        desired: { 'radio.dataRate': 5 },
        reported: {},
        delta: { 'radio.dataRate': 5 },
        metadata: {
          desired: {
            'radio.dataRate': {
              updatedAt: '2025-03-01T09:00:00.000Z',
              updatedBy: 'alice',
              correlationId: 'corr-1',
              jobId: null,
              version: 2,
            },
          },
          reported: {},
        },
        connectivity: {
          lastSeenAt: '2025-03-01T11:55:00.000Z',
          online: true,
          batteryPercent: 81,
          rssi: -97,
          snr: 7.5,
          uplinkCount: 12,
          downlinkCount: 1,
          airtime: { windowStart: '2025-03-01T11:00:00.000Z', usedMs: 1200, budgetMs: 36000 },
        },
      }),
      new Date('2025-03-01T12:00:00.000Z'),
    );
    expect(text).toContain('SN-1');
    expect(text).toMatch(/status\s+suspended \(leak suspected\) since 2025-03-01T10:00:00.000Z/);
    expect(text).toMatch(/│ radio\.dataRate │ 5\s+│ -\s+│ yes\s+│/);
    expect(text).toMatch(/radio\.dataRate.*desired.*alice.*corr-1.*2/);
    expect(text).toMatch(/last seen\s+2025-03-01T11:55:00.000Z \(5 min ago\)/);
    expect(text).toMatch(/battery\s+81%/);
    expect(text).toMatch(/RSSI -97 dBm, SNR 7.5 dB/);
  });

  it('says when there is no telemetry, and leaves connectivity out of historical states', () => {
    expect(formatTwin(twin({ connectivity: null }))).toContain('no telemetry received yet');
    expect(formatTwin(twin())).not.toContain('Connectivity');
  });

  it('reports air time against the duty-cycle budget, or its absence', () => {
    expect(airtime({ windowStart: 'W', usedMs: 1800, budgetMs: 36000 })).toBe('1.8 s of 36.0 s (5%) since W');
    expect(airtime({ windowStart: 'W', usedMs: 1800, budgetMs: null })).toBe(
      '1.8 s since W (no duty-cycle limit)',
    );
  });

  it('formats relative times', () => {
    const now = new Date('2025-03-02T12:00:00Z');
    expect(ago('2025-03-02T11:59:30Z', now)).toBe('30 s ago');
    expect(ago('2025-03-02T09:00:00Z', now)).toBe('3 h ago');
    expect(ago('2025-02-28T12:00:00Z', now)).toBe('2 d ago');
    expect(ago('2025-03-02T12:01:00Z', now)).toBe('in the future');
  });

  it('lists history with actor, reason and correlation id', () => {
    const text = formatHistory([
      {
        eventId: 'e1',
        type: 'DeviceProvisioned',
        version: 1,
        occurredAt: '2025-03-01T08:00:00.000Z',
        recordedAt: '2025-03-01T08:00:00.010Z',
        actor: { type: 'operator', id: 'alice' },
        reason: null,
        correlationId: 'corr-9',
        causationId: null,
        data: {},
      },
    ]);
    expect(text).toMatch(/version.*time.*type.*actor.*reason.*correlation id/);
    expect(text).toMatch(
      /1\s+│ 2025-03-01T08:00:00.000Z │ DeviceProvisioned │ operator:alice │ -\s+│ corr-9/,
    );
    expect(formatHistory([])).toBe('no events match');
  });

  it('lists devices with total and next cursor', () => {
    const text = formatDeviceList({ items: [twin({ connectivity: null })], total: 31, nextCursor: 'c2' });
    expect(text).toMatch(/meter-42.*SN-1.*Acme WM-200.*1\.2\.0.*suspended.*-.*-/);
    expect(text).toMatch(/total: 31\nnext cursor: c2$/);
  });
});

/**
 * The 20 rules of the benchmark, created through the API: what a fleet operator would run. Eleven
 * judge every uplink (thresholds, rates, silence), the others listen to events; scopes mix the
 * fleet, a group and a query so that device facts are looked up as in production.
 */
export const BENCH_RULES: readonly Record<string, unknown>[] = [
  threshold('Battery low', 'batteryPercent', 'below', 15, 20),
  threshold('Battery critical', 'batteryPercent', 'below', 5, 8, 'critical'),
  threshold('RSSI weak', 'rssi', 'below', -125, -120),
  threshold('SNR poor', 'snr', 'below', -18, -15),
  threshold('Air time per uplink', 'airtimeMs', 'above', 1_500, 1_200),
  threshold('Too hot', '/3303/0/5700', 'above', 70, 65),
  {
    ...threshold('North battery', 'batteryPercent', 'below', 25, 30),
    scope: { type: 'group', tag: 'north' },
  },
  {
    ...threshold('Meters too cold', '/3303/0/5700', 'below', -20, -15),
    scope: { type: 'query', query: 'model=WM-200&deviceClass=lorawan' },
  },
  { name: 'Chatty', condition: { kind: 'rate', metric: 'uplinksPerHour', raiseAbove: 120, clearAt: 100 } },
  {
    name: 'Duty cycle',
    condition: { kind: 'rate', metric: 'dutyCyclePercent', raiseAbove: 1, clearAt: 0.8 },
  },
  { name: 'Silent', severity: 'critical', condition: { kind: 'silence', multiplier: 3 } },
  {
    name: 'Reboot loop',
    condition: {
      kind: 'event',
      source: 'command-events',
      eventTypes: ['CommandSucceeded'],
      where: { operation: 'execute', path: '/3/0/4' },
      count: 3,
      withinSeconds: 3_600,
    },
  },
  {
    name: 'Firmware update failed',
    severity: 'critical',
    condition: {
      kind: 'event',
      source: 'command-events',
      eventTypes: ['CommandFailed'],
      where: { path: '/5/0/2' },
    },
  },
  {
    name: 'Authentication refused',
    condition: {
      kind: 'event',
      source: 'device-access',
      eventTypes: ['DeviceAuthenticationRefused'],
      count: 5,
      withinSeconds: 600,
    },
  },
  {
    name: 'Malformed uplinks',
    condition: {
      kind: 'event',
      source: 'telemetry-dead-letters',
      eventTypes: ['UplinkDeadLettered'],
      count: 10,
      withinSeconds: 3_600,
    },
  },
  {
    name: 'Quarantined',
    severity: 'critical',
    condition: { kind: 'event', source: 'device-events', eventTypes: ['DeviceQuarantined'] },
  },
  {
    name: 'Interval drift',
    condition: { kind: 'drift', keys: ['application.reportingIntervalSeconds'], forSeconds: 3_600 },
  },
  { name: 'Any drift', severity: 'info', condition: { kind: 'drift', keys: null, forSeconds: 86_400 } },
  {
    name: 'Campaign failing',
    condition: { kind: 'campaign-error-rate', raiseAtPercent: 5, clearAtPercent: 3, minimumFinished: 50 },
  },
  {
    name: 'Campaign failing badly',
    severity: 'critical',
    condition: { kind: 'campaign-error-rate', raiseAtPercent: 20, minimumFinished: 20 },
  },
];

function threshold(
  name: string,
  metric: string,
  operator: string,
  raiseAt: number,
  clearAt: number,
  severity = 'warning',
) {
  return { name, severity, condition: { kind: 'threshold', metric, operator, raiseAt, clearAt } };
}

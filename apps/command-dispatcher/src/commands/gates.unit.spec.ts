import {
  checkGates,
  DEFAULT_GATE_POLICY,
  deliveryModeOf,
  isListening,
  type DeviceView,
  type RadioCost,
} from './gates';

const NOW = '2026-12-02T10:00:00.000Z';
const device: DeviceView = {
  deviceId: 'dev-1',
  status: 'active',
  kind: 'always-on',
  lorawanClass: null,
  devEui: null,
  lorawanApplicationId: null,
  region: 'EU868',
  batteryPercent: 80,
  firmwareUpdateState: 0,
  dataRate: null,
  airtimeUsedMs: 0,
  airtimeWindowStart: null,
  maxInFlight: 1,
  lastUplinkAt: null,
};
const reboot = { operation: 'execute' as const, path: '/3/0/4' };
const firmware = { operation: 'write' as const, path: '/5/0/1' };
const radio = (payloadBytes: number, airtimeMs = 100): RadioCost => ({
  payloadBytes,
  maxPayloadBytes: 51,
  dataRateLabel: 'DR0 in EU868',
  airtimeMs,
});

describe('safety gates', () => {
  it.each(['suspended', 'quarantined', 'decommissioned'] as const)(
    'given a %s device, when anything is asked, then it is refused',
    (status) => {
      expect(
        checkGates(
          { operation: 'read', path: '/3/0/9' },
          { ...device, status },
          DEFAULT_GATE_POLICY,
          NOW,
          null,
        ),
      ).toEqual({
        gate: 'device-status',
        reason: `device dev-1 is ${status}`,
      });
    },
  );

  it('given a firmware update in progress, when a reboot is asked, then it is refused naming the state', () => {
    expect(checkGates(reboot, { ...device, firmwareUpdateState: 1 }, DEFAULT_GATE_POLICY, NOW, null)).toEqual(
      {
        gate: 'firmware-update',
        reason: 'reboot refused: a firmware update is in progress (state 1, downloading)',
      },
    );
    expect(checkGates(reboot, device, DEFAULT_GATE_POLICY, NOW, null)).toBeNull();
  });

  it('given a battery below the threshold, when a firmware write is asked, then it is refused; a read is not', () => {
    const low = { ...device, batteryPercent: 12 };
    expect(checkGates(firmware, low, DEFAULT_GATE_POLICY, NOW, null)).toEqual({
      gate: 'battery',
      reason: 'battery at 12 % is below the 20 % required for write on /5/0/1',
    });
    expect(checkGates({ operation: 'read', path: '/3/0/9' }, low, DEFAULT_GATE_POLICY, NOW, null)).toBeNull();
  });

  it('given an unknown battery level, when a firmware write is asked, then the battery gate lets it through', () => {
    expect(
      checkGates(firmware, { ...device, batteryPercent: null }, DEFAULT_GATE_POLICY, NOW, null),
    ).toBeNull();
  });

  it('given a LoRaWAN command larger than its data rate carries, then it is refused with both sizes', () => {
    expect(
      checkGates({ operation: 'read', path: '/3/0/9' }, device, DEFAULT_GATE_POLICY, NOW, radio(64)),
    ).toEqual({
      gate: 'payload-size',
      reason: 'the command needs 64 bytes but DR0 in EU868 carries at most 51',
    });
  });

  it('given 35.9 s of downlink air time this hour in EU868, when a 200 ms downlink is asked, then the 1 % budget refuses it', () => {
    const busy = { ...device, airtimeUsedMs: 35_900, airtimeWindowStart: '2026-12-02T09:30:00.000Z' };
    expect(
      checkGates({ operation: 'read', path: '/3/0/9' }, busy, DEFAULT_GATE_POLICY, NOW, radio(20, 200)),
    ).toMatchObject({ gate: 'airtime' });
    const nextHour = { ...busy, airtimeWindowStart: '2026-12-02T08:59:00.000Z' };
    expect(
      checkGates({ operation: 'read', path: '/3/0/9' }, nextHour, DEFAULT_GATE_POLICY, NOW, radio(20, 200)),
    ).toBeNull();
  });

  it('given device classes, then always-on is immediate, sleepy waits for a wake-up, class A goes through the network server', () => {
    expect(deliveryModeOf(device)).toBe('immediate');
    expect(deliveryModeOf({ kind: 'sleepy', lorawanClass: null })).toBe('on-wake');
    expect(deliveryModeOf({ kind: 'lorawan', lorawanClass: 'A' })).toBe('network-server');
    expect(deliveryModeOf({ kind: 'lorawan', lorawanClass: 'C' })).toBe('immediate');
  });

  it('given a sleepy device that talked 1 s ago, then it listens within a 1.5 s window and not after', () => {
    const sleepy = { kind: 'sleepy' as const, lorawanClass: null, lastUplinkAt: '2026-12-02T09:59:59.000Z' };
    expect(isListening(sleepy, NOW, 1500)).toBe(true);
    expect(isListening(sleepy, '2026-12-02T10:00:00.600Z', 1500)).toBe(false);
    expect(isListening({ ...sleepy, lastUplinkAt: null }, NOW, 1500)).toBe(false);
  });
});

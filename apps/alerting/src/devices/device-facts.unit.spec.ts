import { evolveFacts, expectedIntervalSeconds, type DeviceFactEvent, type DeviceFacts } from './device-facts';

const provisioned: DeviceFactEvent = {
  type: 'DeviceProvisioned',
  data: {
    deviceId: 'd1',
    manufacturer: 'acme',
    model: 'WM-200',
    firmwareVersion: '1.0.0',
    tags: ['north'],
    attributes: {},
    deviceClass: { kind: 'sleepy', wakeIntervalSeconds: 900 },
    region: null,
  },
};

const fold = (...events: DeviceFactEvent[]): DeviceFacts | null =>
  events.reduce<DeviceFacts | null>((facts, e, i) => evolveFacts(facts, e, i, 1_000 * (i + 1)), null);

describe('device facts', () => {
  it('given a provisioned sleepy device, then its expected interval is its wake interval', () => {
    expect(expectedIntervalSeconds(fold(provisioned))).toBe(900);
    expect(expectedIntervalSeconds(null)).toBe(300);
  });

  it('given a reported reporting interval, then it wins over the desired one and the class', () => {
    const facts = fold(
      provisioned,
      {
        type: 'DesiredConfigurationChanged',
        data: { deviceId: 'd1', changes: { 'application.reportingIntervalSeconds': 600 } },
      },
      {
        type: 'ConfigurationApplied',
        data: { deviceId: 'd1', reported: { 'application.reportingIntervalSeconds': 60 } },
      },
    );
    expect(expectedIntervalSeconds(facts)).toBe(60);
  });

  it('given a desired change, then drift starts when it was made and ends when the device reports it', () => {
    const changed: DeviceFactEvent = {
      type: 'DesiredConfigurationChanged',
      data: { deviceId: 'd1', changes: { 'radio.adr': true, 'application.logicalName': 'x' } },
    };
    expect(fold(provisioned, changed)!.driftSince).toEqual({
      'radio.adr': 2_000,
      'application.logicalName': 2_000,
    });
    const partly = fold(provisioned, changed, {
      type: 'ConfigurationApplied',
      data: { deviceId: 'd1', reported: { 'radio.adr': true } },
    });
    expect(partly!.driftSince).toEqual({ 'application.logicalName': 2_000 });
    const removed = fold(provisioned, changed, {
      type: 'DesiredConfigurationChanged',
      data: { deviceId: 'd1', changes: { 'radio.adr': null, 'application.logicalName': null } },
    });
    expect(removed!.driftSince).toEqual({});
  });

  it('given lifecycle and label events, then status and labels follow; events before provisioning change nothing', () => {
    const facts = fold(
      provisioned,
      { type: 'DeviceActivated', data: { deviceId: 'd1' } },
      { type: 'DeviceLabelsChanged', data: { deviceId: 'd1', tags: ['south'], attributes: { site: 'x' } } },
      { type: 'DeviceSuspended', data: { deviceId: 'd1' } },
    );
    expect(facts).toMatchObject({
      status: 'suspended',
      tags: ['south'],
      attributes: { site: 'x' },
      revision: 3,
    });
    expect(fold({ type: 'DeviceActivated', data: { deviceId: 'd1' } })).toBeNull();
  });
});

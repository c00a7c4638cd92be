import { applyDeviceEvent, maxInFlightOf, type DeviceEventFact } from './device-facts';

const provisioned: DeviceEventFact = {
  deviceId: 'dev-1',
  revision: 0,
  type: 'DeviceProvisioned',
  data: {
    deviceId: 'dev-1',
    model: 'FW-LORA-1',
    firmwareVersion: '1.0.0',
    deviceClass: {
      kind: 'lorawan',
      lorawanClass: 'A',
      devEui: '0011223344556677',
      wakeIntervalSeconds: null,
    },
    region: 'EU868',
    tags: ['pilot'],
    attributes: { maxInFlightCommands: '3' },
  },
};
const event = (revision: number, type: string, data: Record<string, unknown> = {}): DeviceEventFact => ({
  deviceId: 'dev-1',
  revision,
  type,
  data,
});

describe('device facts from device events', () => {
  it('given nothing, when provisioned, then class, DevEUI, region and declared concurrency are known', () => {
    expect(applyDeviceEvent(undefined, provisioned)).toMatchObject({
      status: 'provisioned',
      kind: 'lorawan',
      lorawanClass: 'A',
      devEui: '0011223344556677',
      region: 'EU868',
      maxInFlight: 3,
    });
  });

  it('given a provisioned device, when activated then suspended, then it is suspended; a redelivered activation changes nothing', () => {
    const active = applyDeviceEvent(applyDeviceEvent(undefined, provisioned), event(1, 'DeviceActivated'));
    const suspended = applyDeviceEvent(active, event(2, 'DeviceSuspended'));
    expect(suspended?.status).toBe('suspended');
    expect(applyDeviceEvent(suspended, event(1, 'DeviceActivated'))).toBe(suspended);
  });

  it('given a device, when its radio data rate is applied, then the dispatcher knows it', () => {
    const device = applyDeviceEvent(undefined, provisioned);
    expect(
      applyDeviceEvent(device, event(1, 'ConfigurationApplied', { reported: { 'radio.dataRate': 5 } }))
        ?.dataRate,
    ).toBe(5);
  });

  it('given an event before DeviceProvisioned was seen, then nothing is known', () => {
    expect(applyDeviceEvent(undefined, event(3, 'DeviceSuspended'))).toBeUndefined();
  });

  it('given declared concurrency outside 1-16 or not a number, then one command at a time', () => {
    expect([
      maxInFlightOf({}),
      maxInFlightOf({ maxInFlightCommands: '0' }),
      maxInFlightOf({ maxInFlightCommands: 'x' }),
      maxInFlightOf({ maxInFlightCommands: '16' }),
    ]).toEqual([1, 1, 1, 16]);
  });
});

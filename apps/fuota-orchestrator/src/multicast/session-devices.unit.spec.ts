import type { DeviceFacts } from '@fleet/contracts';
import { selectDevices } from './session-devices';

const facts = (deviceId: string, change: Partial<DeviceFacts> = {}): DeviceFacts => ({
  deviceId,
  revision: 0,
  status: 'active',
  kind: 'lorawan',
  lorawanClass: 'A',
  devEui: `00000000000000${deviceId.slice(-2)}`,
  region: 'EU868',
  model: 'FW-LORA-METER',
  firmwareVersion: '1.4.2',
  tags: [],
  attributes: {},
  maxInFlight: 1,
  dataRate: null,
  ...change,
});

describe('selecting the devices of a session', () => {
  it('given ids and DevEUIs of LoRaWAN devices, when selected, then each is a target with its application', () => {
    const selection = selectDevices({
      refs: ['dev-01', '00000000000000AB'],
      found: new Map([
        ['dev-01', facts('dev-01')],
        ['00000000000000AB', facts('dev-ab', { attributes: { lorawanApplicationId: 'app-2' } })],
      ]),
      version: '2.0.0',
      defaultApplicationId: 'app-1',
      busy: () => false,
    });

    expect(selection).toEqual({
      ok: true,
      targets: [
        { deviceId: 'dev-01', devEui: '0000000000000001', model: 'FW-LORA-METER', applicationId: 'app-1' },
        { deviceId: 'dev-ab', devEui: '00000000000000ab', model: 'FW-LORA-METER', applicationId: 'app-2' },
      ],
    });
  });

  it('given devices it cannot take, when selected, then every reason is named with the devices', () => {
    const selection = selectDevices({
      refs: ['nobody', 'ip-01', 'old-01', 'new-01', 'busy-01', 'twice-01', '0000000000000001'],
      found: new Map([
        ['ip-01', facts('ip-01', { kind: 'always-on', devEui: null })],
        ['old-01', facts('old-01', { status: 'decommissioned' })],
        ['new-01', facts('new-01', { firmwareVersion: '2.0.0' })],
        ['busy-01', facts('busy-01')],
        ['twice-01', facts('twice-01')],
        ['0000000000000001', facts('twice-01')],
      ]),
      version: '2.0.0',
      defaultApplicationId: 'app-1',
      busy: (id) => id === 'busy-01',
    });

    expect(selection).toEqual({
      ok: false,
      problems: [
        '1 unknown devices (no device with that id or DevEUI): nobody',
        '1 devices named twice: twice-01',
        '1 devices that are not LoRaWAN devices with a DevEUI: ip-01',
        '1 devices suspended, quarantined or decommissioned: old-01',
        '1 devices that already run 2.0.0: new-01',
        '1 devices already in a multicast session that has not finished: busy-01',
      ],
    });
  });
});

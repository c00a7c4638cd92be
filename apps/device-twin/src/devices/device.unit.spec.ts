import { ConflictError } from '@fleet/core';
import { evolveDevice, initialDeviceState, type DeviceEvent, type DeviceProvisionedData } from './device';
import { decideDevice } from './device.decide';

const meter: DeviceProvisionedData = {
  deviceId: 'meter-1',
  serial: 'SN-0001',
  manufacturer: 'Acme',
  model: 'WM-200',
  hardwareRevision: 'B',
  firmwareVersion: '1.2.0',
  tags: ['water'],
  attributes: { site: 'north' },
};

const given = (...events: DeviceEvent[]) => events.reduce(evolveDevice, initialDeviceState);

describe('Device', () => {
  it('given no device, when provisioned, then DeviceProvisioned records its identity', () => {
    expect(decideDevice({ type: 'ProvisionDevice', data: meter }, given())).toEqual([
      { type: 'DeviceProvisioned', data: meter },
    ]);
  });

  it('given a provisioned device, when provisioned again, then it is a conflict', () => {
    const state = given({ type: 'DeviceProvisioned', data: meter });
    expect(() => decideDevice({ type: 'ProvisionDevice', data: meter }, state)).toThrow(ConflictError);
  });

  it('given DeviceProvisioned, the device is active with its facts', () => {
    expect(given({ type: 'DeviceProvisioned', data: meter })).toEqual({ status: 'active', ...meter });
  });
});

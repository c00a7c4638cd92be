import {
  ConflictError,
  IllegalStateError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '@fleet/core';
import { evolveDevice, initialDeviceState, type DeviceEvent, type DeviceProvisionedData } from './device';
import { decideDevice, type DeviceCommand } from './device.decide';

const credential = {
  type: 'secret' as const,
  secretHash: '$pbkdf2-sha512$i=1000$c2FsdA==$aGFzaA==',
  certificateFingerprint: null,
  certificateNotAfter: null,
  appKeyCiphertext: null,
  kekId: null,
};

const meter: DeviceProvisionedData = {
  deviceId: 'meter-1',
  serial: 'SN-0001',
  manufacturer: 'Acme',
  model: 'WM-200',
  hardwareRevision: 'B',
  firmwareVersion: '1.2.0',
  deviceClass: { kind: 'lorawan', wakeIntervalSeconds: null, lorawanClass: 'A', devEui: '70B3D57ED0000001' },
  region: 'EU868',
  tags: ['water'],
  attributes: { site: 'north' },
  credential: {
    ...credential,
    type: 'lorawan-appkey',
    secretHash: null,
    appKeyCiphertext: 'v1.k.x.y.z',
    kekId: 'k',
  },
};

const provisioned: DeviceEvent = { type: 'DeviceProvisioned', data: meter };
const activated: DeviceEvent = { type: 'DeviceActivated', data: { deviceId: 'meter-1' } };
const given = (...events: DeviceEvent[]) => events.reduce(evolveDevice, initialDeviceState);
type WithoutId<T> = T extends unknown ? Omit<T, 'deviceId'> : never;
const when = (command: WithoutId<DeviceCommand>, ...history: DeviceEvent[]) =>
  decideDevice({ deviceId: 'meter-1', ...command }, given(...history));

describe('Device aggregate', () => {
  describe('provisioning', () => {
    it('given no device, when provisioned and activated, then DeviceProvisioned and DeviceActivated', () => {
      expect(when({ type: 'ProvisionDevice', data: meter, activate: true })).toEqual([
        provisioned,
        activated,
      ]);
    });

    it('given no device, when provisioned inactive, then only DeviceProvisioned', () => {
      expect(when({ type: 'ProvisionDevice', data: meter, activate: false })).toEqual([provisioned]);
    });

    it('given a provisioned device, when provisioned again, then it is a conflict', () => {
      expect(() => when({ type: 'ProvisionDevice', data: meter, activate: true }, provisioned)).toThrow(
        ConflictError,
      );
    });

    it('given a decommissioned device, when provisioned again, then the tombstone blocks it', () => {
      const retired: DeviceEvent = {
        type: 'DeviceDecommissioned',
        data: { deviceId: 'meter-1', serial: 'SN-0001' },
      };
      expect(() =>
        when({ type: 'ProvisionDevice', data: meter, activate: true }, provisioned, retired),
      ).toThrow(/decommissioned.*re-enrol/);
    });

    it('given no device, when any other command arrives, then it is not found', () => {
      expect(() => when({ type: 'SuspendDevice' })).toThrow(NotFoundError);
    });
  });

  describe('lifecycle', () => {
    it.each([
      ['SuspendDevice', 'DeviceSuspended'],
      ['QuarantineDevice', 'DeviceQuarantined'],
      ['DecommissionDevice', 'DeviceDecommissioned'],
    ] as const)('given an active device, when %s, then %s', (command, event) => {
      expect(when({ type: command }, provisioned, activated).map((e) => e.type)).toEqual([event]);
    });

    it('given a suspended device, when resumed, then it is active again', () => {
      const suspended: DeviceEvent = { type: 'DeviceSuspended', data: { deviceId: 'meter-1' } };
      const events = when({ type: 'ResumeDevice' }, provisioned, activated, suspended);
      expect(events).toEqual([{ type: 'DeviceResumed', data: { deviceId: 'meter-1' } }]);
      expect(given(provisioned, activated, suspended, ...events).status).toBe('active');
    });

    it('given an active device, when resumed, then the transition is illegal', () => {
      expect(() => when({ type: 'ResumeDevice' }, provisioned, activated)).toThrow(IllegalStateError);
    });

    it('given a decommissioned device, when suspended, then 409 says it is decommissioned', () => {
      const retired: DeviceEvent = {
        type: 'DeviceDecommissioned',
        data: { deviceId: 'meter-1', serial: 'SN-0001' },
      };
      expect(() => when({ type: 'SuspendDevice' }, provisioned, retired)).toThrow(/is decommissioned/);
    });

    it('given a decommissioned device, when re-enrolled with a new credential, then it is provisioned again', () => {
      const retired: DeviceEvent = {
        type: 'DeviceDecommissioned',
        data: { deviceId: 'meter-1', serial: 'SN-0001' },
      };
      const events = when({ type: 'ReEnrolDevice', credential: meter.credential }, provisioned, retired);
      expect(events.map((e) => e.type)).toEqual(['DeviceReEnrolled']);
      expect(given(provisioned, retired, ...events)).toMatchObject({
        status: 'provisioned',
        credentialType: 'lorawan-appkey',
      });
    });

    it('decommissioning revokes the credential in the state', () => {
      const retired: DeviceEvent = {
        type: 'DeviceDecommissioned',
        data: { deviceId: 'meter-1', serial: 'SN-0001' },
      };
      expect(given(provisioned, retired)).toMatchObject({ status: 'decommissioned', credentialType: null });
    });
  });

  describe('optimistic concurrency', () => {
    it('given version 2, when a command expects version 1, then the precondition fails', () => {
      expect(() => when({ type: 'SuspendDevice', expectedVersion: 1 }, provisioned, activated)).toThrow(
        PreconditionFailedError,
      );
    });

    it('given version 2, when a command expects version 2, then it is decided', () => {
      expect(when({ type: 'SuspendDevice', expectedVersion: 2 }, provisioned, activated)).toHaveLength(1);
    });
  });

  describe('desired configuration', () => {
    const configure = (changes: Record<string, string | number | boolean | null>) =>
      ({ type: 'ChangeDesiredConfiguration', changes, jobId: null }) as const;

    it('records only parameters that change', () => {
      const first = when(configure({ 'radio.dataRate': 5, 'application.logicalName': 'meter' }), provisioned);
      expect(first).toEqual([
        {
          type: 'DesiredConfigurationChanged',
          data: {
            deviceId: 'meter-1',
            changes: { 'radio.dataRate': 5, 'application.logicalName': 'meter' },
            jobId: null,
          },
        },
      ]);
      const again = when(configure({ 'radio.dataRate': 5, 'radio.adr': true }), provisioned, ...first);
      expect(again[0]?.data).toMatchObject({ changes: { 'radio.adr': true } });
      expect(when(configure({ 'radio.dataRate': 5 }), provisioned, ...first)).toEqual([]);
    });

    it('rejects a data rate the band plan does not have', () => {
      expect(() => when(configure({ 'radio.dataRate': 9 }), provisioned)).toThrow(
        /DR9 is not an uplink data rate of EU868/,
      );
    });

    it('rejects transmit power above the regional limit', () => {
      expect(() => when(configure({ 'radio.txPowerDbm': 20 }), provisioned)).toThrow(ValidationError);
    });

    it('rejects sub-bands in a plan without them', () => {
      expect(() => when(configure({ 'radio.subBand': 2 }), provisioned)).toThrow(/EU868 has no sub-bands/);
    });

    it('rejects radio parameters on a device that is not LoRaWAN', () => {
      const ip: DeviceEvent = {
        type: 'DeviceProvisioned',
        data: {
          ...meter,
          deviceClass: { kind: 'always-on', wakeIntervalSeconds: null, lorawanClass: null, devEui: null },
          region: null,
        },
      };
      expect(() => when(configure({ 'radio.adr': true }), ip)).toThrow(/LoRaWAN devices only/);
    });
  });

  describe('device reports', () => {
    it('turns a changed reported configuration and firmware into events, and repeats into nothing', () => {
      const report = {
        type: 'RecordDeviceReport',
        reported: { 'radio.dataRate': 5 },
        firmwareVersion: '1.3.0',
      } as const;
      const events = when(report, provisioned, activated);
      expect(events).toEqual([
        { type: 'ConfigurationApplied', data: { deviceId: 'meter-1', reported: { 'radio.dataRate': 5 } } },
        {
          type: 'FirmwareVersionChanged',
          data: { deviceId: 'meter-1', previousVersion: '1.2.0', firmwareVersion: '1.3.0' },
        },
      ]);
      expect(when(report, provisioned, activated, ...events)).toEqual([]);
    });
  });

  describe('labels', () => {
    it('changes tags, keeps attributes, and ignores a no-op', () => {
      const events = when({ type: 'ChangeLabels', tags: ['water', 'pilot'] }, provisioned);
      expect(events).toEqual([
        {
          type: 'DeviceLabelsChanged',
          data: { deviceId: 'meter-1', tags: ['water', 'pilot'], attributes: { site: 'north' } },
        },
      ]);
      expect(when({ type: 'ChangeLabels', tags: ['pilot', 'water'] }, provisioned, ...events)).toEqual([]);
    });
  });

  it('upcasts a v1 DeviceProvisioned (no class, region or credential) with defaults', () => {
    const v1 = {
      type: 'DeviceProvisioned',
      data: { ...meter, deviceClass: undefined, region: undefined, credential: undefined },
    };
    expect(given(v1 as unknown as DeviceEvent)).toMatchObject({
      status: 'provisioned',
      deviceClass: { kind: 'always-on' },
      region: null,
      credentialType: 'secret',
    });
  });
});

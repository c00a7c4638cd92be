import type { DeviceFacts } from '@fleet/contracts';
import { target } from './targeting';

const device = (deviceId: string, overrides: Partial<DeviceFacts> = {}): DeviceFacts => ({
  deviceId,
  revision: 0,
  status: 'active',
  kind: 'always-on',
  lorawanClass: null,
  devEui: null,
  region: null,
  model: 'meter',
  firmwareVersion: '1.4.0',
  tags: [],
  attributes: { hardwareRevision: 'B' },
  maxInFlight: 1,
  dataRate: null,
  ...overrides,
});
const artifact = {
  artifactId: 'a1',
  version: '1.5.0',
  models: ['meter'],
  hardwareRevisions: ['B', 'C'],
  sha256: 'ab'.repeat(32),
  size: 10,
};

describe('targeting a campaign', () => {
  it('says which devices the artifact does not fit, and why', () => {
    const t = target(
      [
        device('ok'),
        device('tracker', { model: 'tracker' }),
        device('rev-a', { attributes: { hardwareRevision: 'A' } }),
      ],
      artifact,
      false,
    );
    expect(t.eligible.map((d) => d.deviceId)).toEqual(['ok']);
    expect(t.incompatible).toEqual([
      { deviceId: 'tracker', reason: 'model tracker is not one of meter' },
      { deviceId: 'rev-a', reason: 'hardware revision A is not one of B, C' },
    ]);
  });

  it('refuses a downgrade unless allowed, and leaves devices already on the version alone', () => {
    const devices = [
      device('newer', { firmwareVersion: '2.0.0' }),
      device('same', { firmwareVersion: '1.5.0' }),
    ];
    const refused = target(devices, artifact, false);
    expect(refused.downgrades.map((d) => d.deviceId)).toEqual(['newer']);
    expect(refused.alreadyUpToDate).toEqual(['same']);
    expect(target(devices, artifact, true).eligible.map((d) => d.deviceId)).toEqual(['newer']);
  });

  it('never targets decommissioned devices', () => {
    expect(target([device('gone', { status: 'decommissioned' })], artifact, false).decommissioned).toEqual([
      'gone',
    ]);
  });
});

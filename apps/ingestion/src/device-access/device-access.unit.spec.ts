import { brokerActionBetween, evolveAccess, refusalOf, type DeviceFact } from './device-access';

const fact = (type: string, revision: number, extra: Partial<DeviceFact> = {}): DeviceFact => ({
  type,
  deviceId: 'd1',
  revision,
  tenant: 't',
  ...extra,
});
const replay = (facts: DeviceFact[]) => facts.reduce(evolveAccess, undefined);

describe('device access', () => {
  it('given a provisioned and activated device, when it talks, then it is admitted', () => {
    const access = replay([
      fact('DeviceProvisioned', 0, { model: 'm', devEui: 'AABB' }),
      fact('DeviceActivated', 1),
    ]);
    expect(access).toMatchObject({ status: 'active', model: 'm', devEui: 'aabb', revision: 1 });
    expect(refusalOf(access)).toBeUndefined();
  });

  it('given nothing known of a device, then its messages are refused as unknown', () => {
    expect(refusalOf(undefined)).toBe('unknown-device');
    expect(replay([fact('DeviceActivated', 1)])).toBeUndefined();
  });

  it('refuses suspended, decommissioned and not yet activated devices, keeps quarantined ones', () => {
    const provisioned = replay([fact('DeviceProvisioned', 0)]);
    expect(refusalOf(provisioned)).toBe('device-provisioned');
    expect(refusalOf(evolveAccess(provisioned, fact('DeviceSuspended', 1)))).toBe('device-suspended');
    expect(refusalOf(evolveAccess(provisioned, fact('DeviceDecommissioned', 1)))).toBe(
      'device-decommissioned',
    );
    expect(refusalOf(evolveAccess(provisioned, fact('DeviceQuarantined', 1)))).toBeUndefined();
  });

  it('ignores replays of events it already applied', () => {
    const suspended = replay([
      fact('DeviceProvisioned', 0),
      fact('DeviceActivated', 1),
      fact('DeviceSuspended', 2),
    ]);
    expect(evolveAccess(suspended, fact('DeviceActivated', 1))).toBe(suspended);
  });

  it('tells the broker only the net change between two states', () => {
    const active = replay([fact('DeviceProvisioned', 0), fact('DeviceActivated', 1)]);
    const suspended = evolveAccess(active, fact('DeviceSuspended', 2));
    const resumed = evolveAccess(suspended, fact('DeviceResumed', 3));
    expect(brokerActionBetween(active, suspended)).toBe('disable');
    expect(brokerActionBetween(active, resumed)).toBeUndefined();
    expect(brokerActionBetween(suspended, resumed)).toBe('enable');
    expect(brokerActionBetween(active, evolveAccess(active, fact('DeviceDecommissioned', 2)))).toBe('remove');
    expect(brokerActionBetween(undefined, replay([fact('DeviceProvisioned', 0)]))).toBeUndefined();
  });
});

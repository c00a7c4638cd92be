import { FuotaMulticastHarness, type LorawanDevice } from '../support/fuota-multicast-harness';

interface SessionView {
  sessionId: string;
  status: string;
  plan: {
    uncodedFragments: number;
    codedFragments: number;
    fragmentBytes: number;
    estimatedWallTimeMs: number;
  };
  round: number;
  summary: {
    devices: number;
    byPhase: Record<string, number>;
    firstPass: number;
    repairedByMulticast: number;
    repairedByUnicast: number;
  };
  devices: {
    deviceId: string;
    phase: string;
    clockSynced: boolean;
    reason: string | null;
    firmwareVersion: string | null;
  }[];
}

const DEVICES = 200;
const NEW_VERSION = '2.0.0';

/**
 * A 100 KiB signed image multicast to 200 simulated LoRaWAN devices with 10 % redundancy, each
 * losing 5 % of the fragments at random, through the simulated ChirpStack over the real broker.
 * One of them sits behind a worse link (30 % loss): it needs a repair, the others should not. (One,
 * not two: 2 of 200 is the whole 1 % the issue allows, leaving nothing for a fragment the broker
 * drops on a busy machine.)
 */
describe('LoRaWAN multicast firmware sessions (fuota-orchestrator + simulated devices over Mosquitto)', () => {
  const harness = new FuotaMulticastHarness();
  let devices: LorawanDevice[];
  let few: LorawanDevice[];
  let artifactId: string;

  beforeAll(async () => {
    // Unicast repair while all devices together need at most 100 fragments, else another round.
    await harness.start({
      FUOTA_MULTICAST_UNICAST_REPAIR_MAX_FRAGMENTS: '100',
      FUOTA_MULTICAST_UNICAST_REPAIR_MAX_PER_DEVICE: '100',
    });
    [devices, few, artifactId] = await Promise.all([
      harness.provisionLorawan(DEVICES),
      harness.provisionLorawan(3),
      harness.publishArtifact(NEW_VERSION, 100 * 1024),
    ]);
  }, 60_000);

  const finished = (sessionId: string) =>
    harness.until(
      async () => {
        const { body } = await harness.api<SessionView>('GET', `/multicast-sessions/${sessionId}`);
        return body.status === 'finished' ? body : undefined;
      },
      45_000,
      `session ${sessionId} to finish`,
    );

  afterAll(() => harness.stop(), 30_000);

  it('given 200 devices at 5 % loss, when a session sends the image with 10 % redundancy, then ≥ 99 % have it after the first pass, the rest are repaired, and all run the new version', async () => {
    const lossy = devices.slice(0, 1).map((d) => d.deviceId);
    await harness.simulate(devices, {
      lorawanFuota: {
        fragmentLoss: 0.05,
        fragmentLossByDevice: Object.fromEntries(lossy.map((id) => [id, 0.3])),
        clockSkewSeconds: 2,
        applyDelayMs: 200,
      },
    });

    const created = await harness.createSession<SessionView>({
      devices: devices.map((d, i) => (i % 2 === 0 ? d.deviceId : d.devEui.toUpperCase())),
      artifactId,
      dataRate: 5,
      redundancyPercent: 10,
      setupWindowSeconds: 6,
      reason: 'e2e multicast',
    });
    expect(created.status).toBe(201);
    expect(created.body.plan).toMatchObject({
      fragmentBytes: 239,
      codedFragments: Math.ceil(created.body.plan.uncodedFragments / 10),
    });

    const done = await finished(created.body.sessionId);

    const failed = done.devices.filter((d) => d.phase !== 'verified');
    expect(failed).toEqual([]);
    expect(done.summary.byPhase['verified']).toBe(DEVICES);
    expect(done.summary.firstPass).toBeGreaterThanOrEqual(0.99 * DEVICES);
    expect(done.summary.repairedByMulticast + done.summary.repairedByUnicast).toBe(
      DEVICES - done.summary.firstPass,
    );
    expect(done.devices.filter((d) => lossy.includes(d.deviceId)).every((d) => d.phase === 'verified')).toBe(
      true,
    );
    expect(done.devices.every((d) => d.clockSynced)).toBe(true);
    // What the devices themselves said on the wire: each restarted on the new version.
    for (const d of devices) expect(harness.versions.get(d.deviceId)?.at(-1)).toBe(NEW_VERSION);
  }, 90_000);

  it('given one device missing a few dozen fragments after the first pass, when the status is in, then it gets coded fragments in unicast and ends on the new version', async () => {
    await harness.simulate(few, {
      seed: 7,
      lorawanFuota: {
        fragmentLoss: 0,
        fragmentLossByDevice: { [few[0]!.deviceId]: 0.15 },
        applyDelayMs: 200,
      },
    });

    const created = await harness.createSession<SessionView>({
      devices: few.map((d) => d.deviceId),
      artifactId,
      dataRate: 5,
      redundancyPercent: 10,
      setupWindowSeconds: 4,
    });
    expect(created.status).toBe(201);
    const done = await finished(created.body.sessionId);

    expect(done.round).toBe(1);
    expect(done.summary).toMatchObject({
      firstPass: 2,
      repairedByUnicast: 1,
      byPhase: expect.objectContaining({ verified: 3 }),
    });
    expect(harness.versions.get(few[0]!.deviceId)?.at(-1)).toBe(NEW_VERSION);
  }, 60_000);

  it('given the same image at DR0, when a session is asked for, then the plan is refused with the air time and the session limit', async () => {
    const { status, body } = await harness.createSession<{ message: string; details: { reasons: string[] } }>(
      {
        devices: [devices[0]!.deviceId],
        artifactId,
        dataRate: 0,
        redundancyPercent: 10,
      },
    );

    expect(status).toBe(422);
    expect(body.message).toMatch(
      /the multicast plan is refused: .* at DR0 \(SF12\/125 kHz\) .* over the 3,600 s \(1\.0 h\) maximum multicast session/,
    );
    expect(body.details.reasons).toHaveLength(1);
  });

  it('given a device nobody provisioned, when a session names it, then it is refused as unknown', async () => {
    const { status, body } = await harness.api<{ message: string }>('POST', '/multicast-sessions', {
      devices: ['00000000deadbeef'],
      artifactId,
      dataRate: 5,
    });

    expect(status).toBe(422);
    expect(body.message).toBe(
      'devices refused: 1 unknown devices (no device with that id or DevEUI): 00000000deadbeef',
    );
  });
});

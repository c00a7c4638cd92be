import { loraAirtimeMs } from '@fleet/device-protocol';
import { planMulticast, type MulticastPlanRequest } from './airtime-planner';

const image100KiB: MulticastPlanRequest = {
  imageBytes: 100 * 1024,
  fragmentBytes: 200,
  redundancy: { ratio: 0.1 },
  dataRate: 5,
  frequencyHz: 869_525_000,
  maxSessionSeconds: 2 ** 15,
};

describe('multicast air-time planner (EU868)', () => {
  it('given a 100 KiB image at DR5 on 869.525 MHz, when planned, then it counts fragments, air time and the 10 % duty-cycle wall time', () => {
    const plan = planMulticast(image100KiB);

    expect(plan).toMatchObject({
      feasible: true,
      reasons: [],
      uncodedFragments: 512,
      codedFragments: 52,
      totalFragments: 564,
      padding: 0,
      dutyCycle: 0.1,
      maxFragmentBytes: 239,
      phyPayloadBytes: 216,
    });
    // A downlink frame: 13 bytes of LoRaWAN framing + 3 of DataFragment header + 200, no CRC.
    const air = loraAirtimeMs({ spreadingFactor: 7, bandwidthHz: 125_000, payloadBytes: 216, crc: false });
    expect(plan.timing!.airtimePerFragmentMs).toBeCloseTo(air, 6);
    expect(plan.timing!.totalAirtimeMs).toBeCloseTo(564 * air, 6);
    expect(plan.timing!.physicsBoundMs).toBeCloseTo(5640 * air, 6);
    expect(plan.timing!.estimatedWallTimeMs).toBeCloseTo(563 * 10 * air + air, 6);
    expect(plan.timing!.estimatedWallTimeMs / plan.timing!.physicsBoundMs).toBeLessThanOrEqual(1.05);
  });

  it('given no frequency nor duty cycle, when planned, then the 1 % EU868 default applies', () => {
    const { frequencyHz: _f, ...request } = image100KiB;

    expect(planMulticast(request).dutyCycle).toBe(0.01);
    expect(planMulticast({ ...request, dutyCycle: 0.001 }).dutyCycle).toBe(0.001);
  });

  it('given a fragment larger than the data rate carries, when planned, then it is refused with the limit explained', () => {
    const plan = planMulticast({ ...image100KiB, dataRate: 0 });

    expect(plan.feasible).toBe(false);
    expect(plan.reasons[0]).toBe(
      'fragments of 200 bytes do not fit DR0 (SF12/125 kHz): its largest FRMPayload is 51 bytes, 3 of which the ' +
        'DataFragment header takes, so fragments can be at most 48 bytes',
    );
  });

  it('given a session that the duty cycle stretches past the maximum, when planned, then it is refused with the numbers', () => {
    const plan = planMulticast({
      ...image100KiB,
      fragmentBytes: 48,
      dataRate: 0,
      frequencyHz: 868_100_000,
      maxSessionSeconds: 3600,
    });

    expect(plan.feasible).toBe(false);
    expect(plan.reasons).toHaveLength(1);
    expect(plan.reasons[0]).toBe(
      '2348 fragments (2134 uncoded + 214 coded) × 2793.5 ms at DR0 (SF12/125 kHz) = 6,559.1 s on air; ' +
        'at a 1 % duty cycle that takes 655,630.7 s (182.1 h), over the 3,600 s (1.0 h) maximum multicast session; ' +
        'use a faster data rate, a sub-band with a higher duty cycle (869.4-869.65 MHz allows 10 %), larger fragments, ' +
        'less redundancy or a smaller image',
    );
    expect(plan.timing!.sessionTimeOut).toBeUndefined();
  });

  it('given a network server gap longer than the off-time, when planned, then frames are spaced by air time plus gap', () => {
    const plan = planMulticast({ ...image100KiB, dutyCycle: 1, interFrameGapMs: 100 });
    const air = plan.timing!.airtimePerFragmentMs;

    expect(plan.timing!.estimatedWallTimeMs).toBeCloseTo(563 * (air + 100) + air, 6);
  });

  it('given a feasible plan, when planned, then it names the smallest TS005 SessionTimeOut that covers it', () => {
    const timing = planMulticast(image100KiB).timing!;

    expect(2 ** timing.sessionTimeOut!).toBeGreaterThanOrEqual(timing.estimatedWallTimeMs / 1000);
    expect(2 ** (timing.sessionTimeOut! - 1)).toBeLessThan(timing.estimatedWallTimeMs / 1000);
  });

  it.each([
    [{ dataRate: 7 }, 'DR7 is not a LoRa data rate'],
    [{ maxSessionSeconds: 40_000 }, 'allows 2^15 s at most'],
    [{ frequencyHz: 869_300_000 }, '869.3 MHz is in no EU868 sub-band'],
    [{ dutyCycle: 0 }, 'duty cycle 0 is not in (0, 1]'],
    [{ fragmentBytes: 0 }, 'fragment size 0'],
  ])('given %j, when planned, then the request is invalid', (change, reason) => {
    expect(() => planMulticast({ ...image100KiB, ...change })).toThrow(reason);
  });
});

import { seededRandom } from './random';
import {
  eu868DataRate,
  initialTelemetry,
  nextTelemetry,
  RADIO_PROFILES,
  readingsOf,
  spreadingFactorFor,
  walk,
  type RadioProfile,
} from './telemetry-model';

describe('telemetry model', () => {
  it.each(['ip', 'lora'] as const)(
    'given %s radio, when 20000 uplinks pass, then RSSI and SNR stay in bounds',
    (profile: RadioProfile) => {
      const random = seededRandom(1);
      const { rssi, snr } = RADIO_PROFILES[profile];
      let state = initialTelemetry(random, profile);
      const low = { rssi: 0, snr: 100, temperature: 100 };
      const high = { rssi: -200, snr: -100, temperature: -100 };
      const distinct = new Set<number>();
      for (let i = 0; i < 20_000; i++) {
        state = nextTelemetry(state, random, profile);
        const readings = readingsOf(state);
        for (const key of ['rssi', 'snr', 'temperature'] as const) {
          low[key] = Math.min(low[key], readings[key]);
          high[key] = Math.max(high[key], readings[key]);
        }
        distinct.add(readings.rssi);
      }
      expect(low.rssi).toBeGreaterThanOrEqual(rssi[0]);
      expect(high.rssi).toBeLessThanOrEqual(rssi[1]);
      expect(low.snr).toBeGreaterThanOrEqual(snr[0]);
      expect(high.snr).toBeLessThanOrEqual(snr[1]);
      expect(low.temperature).toBeGreaterThanOrEqual(-20);
      expect(high.temperature).toBeLessThanOrEqual(60);
      expect(distinct.size).toBeGreaterThan(20); // it does wander
    },
  );

  it('given uplinks, when the battery drains, then it never rises and stops at the floor', () => {
    const random = seededRandom(2);
    let state = initialTelemetry(random, 'ip');
    const first = state.battery;
    const battery = { drainPerUplink: 1, floor: 5 };
    let rose = false;
    for (let i = 0; i < 500; i++) {
      const previous = state.battery;
      state = nextTelemetry(state, random, 'ip', battery);
      rose ||= state.battery > previous;
    }
    expect(rose).toBe(false);
    expect(first).toBeGreaterThan(5);
    expect(readingsOf(state).batteryPercent).toBe(5);
  });

  it('given the default model, when 100 uplinks pass, then the battery drained slowly', () => {
    const random = seededRandom(3);
    let state = initialTelemetry(random, 'lora');
    const start = state.battery;
    for (let i = 0; i < 100; i++) state = nextTelemetry(state, random, 'lora');
    expect(start - state.battery).toBeGreaterThan(0.4);
    expect(start - state.battery).toBeLessThan(1.6);
  });

  it('given two devices, when seeded differently, then they drain at different rates', () => {
    expect(initialTelemetry(seededRandom(4), 'ip').drainFactor).not.toBe(
      initialTelemetry(seededRandom(5), 'ip').drainFactor,
    );
  });

  it('given a step past a bound, when walking, then the value is reflected inside', () => {
    expect(walk(-51, 2, [-110, -50], () => 1)).toBe(-51);
    expect(walk(-109, 2, [-110, -50], () => 0)).toBe(-109);
  });

  it.each([
    [10, 7, 5],
    [-5, 8, 4],
    [-12, 10, 2],
    [-19, 12, 0],
  ])('given SNR %d dB, when choosing a data rate, then SF%d (EU868 DR%d)', (snr, sf, dr) => {
    expect(spreadingFactorFor(snr)).toBe(sf);
    expect(eu868DataRate(sf)).toBe(dr);
  });
});

import { seededRandom } from '../device/random';
import { resolveFirmwareOptions } from './firmware-options';
import { InjectedFailures } from './injected-failures';

const device = (index: number, deviceId = `dev-${index}`) => ({ deviceId, index });

describe('injected firmware update failures', () => {
  it('given no injection, when asked, then nothing fails', () => {
    const failures = new InjectedFailures({}, device(0), seededRandom(1));
    expect(['download', 'signature', 'install', 'lowBattery'].map((k) => failures.next(k as never))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('given the first 2 devices, when asked, then devices 0 and 1 fail at every attempt and device 2 never', () => {
    const options = { install: { firstDevices: 2 } };
    const attempts = (index: number) =>
      Array.from({ length: 5 }, () =>
        new InjectedFailures(options, device(index), seededRandom(1)).next('install'),
      );
    expect(attempts(0)).toEqual([true, true, true, true, true]);
    expect(attempts(1).every(Boolean)).toBe(true);
    expect(attempts(2).some(Boolean)).toBe(false);
  });

  it('given device ids, when asked, then only those fail, and only the kind injected', () => {
    const options = { signature: { deviceIds: ['dev-7'] } };
    expect(new InjectedFailures(options, device(7), seededRandom(1)).next('signature')).toBe(true);
    expect(new InjectedFailures(options, device(7), seededRandom(1)).next('download')).toBe(false);
    expect(new InjectedFailures(options, device(8), seededRandom(1)).next('signature')).toBe(false);
  });

  it('given a rate, when many attempts are drawn, then about that share fails, the same with the same seed', () => {
    const draw = (seed: number) => {
      const failures = new InjectedFailures({ download: { rate: 0.1 } }, device(5), seededRandom(seed));
      return Array.from({ length: 2_000 }, () => failures.next('download'));
    };
    const share = draw(42).filter(Boolean).length / 2_000;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    expect(draw(42)).toEqual(draw(42));
    expect(draw(43)).not.toEqual(draw(42));
  });
});

describe('firmware update options', () => {
  it('given nothing, when resolved, then the documented defaults', () => {
    expect(resolveFirmwareOptions()).toEqual({
      trustedKeysDir: '.local/firmware-keys',
      chunkBytes: 65_536,
      downloadRetries: 5,
      retryDelayMs: 1_000,
      requestTimeoutMs: 30_000,
      maxPackageBytes: 32 * 1024 * 1024,
      installMs: 3_000,
      minBatteryPercent: 10,
      failures: {},
    });
  });

  it.each([
    [{ failures: { install: { rate: 1.5 } } }, /^simulator options: firmware\.failures\.install\.rate: /],
    [{ chunkBytes: 10 }, /^simulator options: firmware\.chunkBytes: /],
    [{ failures: { crash: { rate: 0.1 } } }, /^simulator options: firmware\.failures: .*crash/],
    [{ minBatteryPercent: 101 }, /^simulator options: firmware\.minBatteryPercent: /],
  ])('given %j, when resolved, then a ValidationError names the option', (options, message) => {
    expect(() => resolveFirmwareOptions(options as never)).toThrow(message);
  });
});

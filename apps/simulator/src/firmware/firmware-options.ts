import { ValidationError } from '@fleet/core';
import { z } from 'zod';

/** The ways a simulated firmware update can be made to fail (README, "Firmware updates"). */
export const FUOTA_FAILURE_KINDS = ['download', 'signature', 'install', 'lowBattery'] as const;
export type FuotaFailureKind = (typeof FUOTA_FAILURE_KINDS)[number];

/**
 * Which devices fail one way: the listed ones at every attempt, the others with a probability per
 * attempt, drawn from a stream seeded by the run's seed and the device id (same seed, same draws).
 */
export interface FailureInjection {
  /** Probability (0..1) that an attempt fails. Default 0. */
  readonly rate?: number;
  /** The first N IP devices of the device list (LoRaWAN devices not counted) always fail. Default 0. */
  readonly firstDevices?: number;
  /** These devices always fail. Default none. */
  readonly deviceIds?: readonly string[];
}

/**
 * Options are per run: a simulator started again without them has devices that behave, which is
 * how a test "fixes" a failure before retrying.
 */
export type FuotaFailureOptions = { readonly [K in FuotaFailureKind]?: FailureInjection };

/** Firmware updates over HTTP (LwM2M object 5, pull) of the MQTT devices. */
export interface FirmwareUpdateOptions {
  /** Trusted manufacturer keys, `<keyId>.pub.pem` files (see `loadTrustedKeys`). Default `.local/firmware-keys`. */
  readonly trustedKeysDir?: string;
  /** Bytes asked for per HTTP Range request. Default 65536. */
  readonly chunkBytes?: number;
  /** Failed requests in a row (connection lost, 5xx, timeout) before a download gives up with result 4. Default 5. */
  readonly downloadRetries?: number;
  /** Pause before a download request is retried, ms. Default 1000. */
  readonly retryDelayMs?: number;
  /** How long one request may take before it counts as failed, ms. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** The largest package a device takes (its flash); a larger one fails with result 2. Default 32 MiB. */
  readonly maxPackageBytes?: number;
  /** How long installing takes before the device restarts, ms. Default 3000. */
  readonly installMs?: number;
  /** Below this battery level (%) a device refuses to install (result 8). Default 10. */
  readonly minBatteryPercent?: number;
  /** Injected failures. Default none. */
  readonly failures?: FuotaFailureOptions;
}

export type FirmwareSettings = Required<Omit<FirmwareUpdateOptions, 'failures'>> & {
  readonly failures: FuotaFailureOptions;
};

const injection = z
  .object({
    rate: z.number().min(0).max(1).optional(),
    firstDevices: z.number().int().min(0).optional(),
    deviceIds: z.array(z.string().min(1)).optional(),
  })
  .strict();

const schema = z
  .object({
    trustedKeysDir: z.string().min(1).default('.local/firmware-keys'),
    chunkBytes: z
      .number()
      .int()
      .min(256)
      .max(16 * 1024 * 1024)
      .default(64 * 1024),
    downloadRetries: z.number().int().min(0).max(100).default(5),
    retryDelayMs: z.number().int().min(0).default(1_000),
    requestTimeoutMs: z.number().int().min(100).default(30_000),
    maxPackageBytes: z
      .number()
      .int()
      .min(1)
      .default(32 * 1024 * 1024),
    installMs: z.number().int().min(0).default(3_000),
    minBatteryPercent: z.number().min(0).max(100).default(10),
    failures: z
      .object(Object.fromEntries(FUOTA_FAILURE_KINDS.map((kind) => [kind, injection.optional()])))
      .strict()
      .default({}),
  })
  .strict();

/** @throws ValidationError naming the first bad option, e.g. `firmware.failures.install.rate: ...` */
export function resolveFirmwareOptions(options: FirmwareUpdateOptions = {}): FirmwareSettings {
  const parsed = schema.safeParse(options);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const at = ['firmware', ...(issue?.path ?? []).map(String)].join('.');
  throw new ValidationError(`simulator options: ${at}: ${issue?.message ?? 'invalid'}`);
}

import { z } from 'zod';
import type { ConfigurationChanges } from '../configuration';
import { WAKE_UP_MODES } from '../configuration';
import { reason } from '../http/http-conventions';

const settable = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

/** Application parameters (LwM2M-style: logical name, destination, reporting, wake-up). */
const application = z
  .object({
    logicalName: settable(z.string().trim().min(1).max(64)),
    destination: settable(z.string().trim().min(1).max(256).describe('where the device sends data (URI)')),
    reportingIntervalSeconds: settable(z.number().int().min(10).max(604_800)),
    wakeUp: settable(z.enum(WAKE_UP_MODES)),
  })
  .strict();

/** Radio parameters (LoRaWAN); checked against the device's band plan when decided. */
const radio = z
  .object({
    subBand: settable(z.number().int().min(1).max(8)),
    channelMask: settable(z.string().regex(/^[0-9A-Fa-f]{4,24}$/, '4 to 24 hexadecimal digits')),
    dataRate: settable(z.number().int().min(0).max(15)),
    adr: settable(z.boolean()),
    txPowerDbm: settable(z.number().int().min(-10).max(30)),
  })
  .strict();

/** The desired configuration to change; `null` removes a parameter from the desired state. */
export const desiredConfiguration = z
  .object({ application: application.optional(), radio: radio.optional() })
  .strict()
  .refine((d) => Object.keys(flattenDesired(d)).length > 0, { message: 'nothing to change' });

export const configureDeviceRequest = z
  .object({ desired: desiredConfiguration, reason: reason.optional() })
  .strict();

/** `{application: {logicalName: 'x'}}` → `{'application.logicalName': 'x'}`. */
export function flattenDesired(desired: Readonly<Record<string, unknown>>): ConfigurationChanges {
  const changes: Record<string, string | number | boolean | null> = {};
  for (const [section, values] of Object.entries(desired)) {
    for (const [key, value] of Object.entries((values ?? {}) as Readonly<Record<string, unknown>>)) {
      if (value !== undefined) changes[`${section}.${key}`] = value as string | number | boolean | null;
    }
  }
  return changes;
}

export const labelsRequest = z
  .object({
    tags: z.array(z.string().trim().min(1).max(64)).max(50).optional(),
    attributes: z.record(z.string().max(64), z.string().max(512)).optional(),
    reason: reason.optional(),
  })
  .strict()
  .refine((r) => r.tags !== undefined || r.attributes !== undefined, { message: 'give tags or attributes' });

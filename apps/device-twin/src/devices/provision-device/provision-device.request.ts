import { z } from 'zod';
import { REGIONS } from '../configuration';

export const identifier = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'letters, digits and . _ : - only, starting with a letter or digit',
  );

const hex = (bytes: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`), `${bytes * 2} hexadecimal digits`)
    .transform((s) => s.toUpperCase());

export const deviceClassRequest = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('always-on') }).strict(),
  z
    .object({
      kind: z.literal('sleepy'),
      wakeIntervalSeconds: z
        .number()
        .int()
        .min(10)
        .max(7 * 24 * 3600),
    })
    .strict(),
  z
    .object({
      kind: z.literal('lorawan'),
      lorawanClass: z.enum(['A', 'B', 'C']).default('A'),
      devEui: hex(8),
    })
    .strict(),
]);

export const credentialsRequest = z.discriminatedUnion('type', [
  z.object({ type: z.literal('secret') }).strict(),
  z
    .object({
      type: z.literal('x509'),
      certificatePem: z.string().max(16_384).optional(),
      fingerprint: z
        .string()
        .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'SHA-256 fingerprint: 64 hexadecimal digits')
        .optional(),
    })
    .strict()
    .refine((c) => c.certificatePem !== undefined || c.fingerprint !== undefined, {
      message: 'give certificatePem or fingerprint',
    }),
  z.object({ type: z.literal('lorawan-appkey'), appKey: hex(16).optional() }).strict(),
]);

/** Body of `POST /devices` (and one row of bulk provisioning). */
export const provisionDeviceRequest = z
  .object({
    deviceId: identifier.optional().describe('Fleet-wide id; generated (UUID) when omitted'),
    serial: z.string().trim().min(1).max(128),
    manufacturer: z.string().trim().min(1).max(128),
    model: z.string().trim().min(1).max(128),
    hardwareRevision: z.string().trim().min(1).max(64).optional(),
    firmwareVersion: z.string().trim().min(1).max(64).optional(),
    deviceClass: deviceClassRequest.default({ kind: 'always-on' }),
    region: z.enum(REGIONS as ['EU868', 'US915', 'AS923']).optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(50).default([]),
    attributes: z.record(z.string().max(64), z.string().max(512)).default({}),
    credentials: credentialsRequest
      .optional()
      .describe('Default: a generated AppKey for LoRaWAN, else a secret'),
    activate: z.boolean().default(true).describe('false keeps the device provisioned but inactive'),
    reason: z
      .string()
      .trim()
      .max(500)
      .optional()
      .describe('Why the device is provisioned; recorded in its history'),
  })
  .strict()
  .superRefine((request, ctx) => {
    const lorawan = request.deviceClass.kind === 'lorawan';
    if (lorawan && !request.region) {
      ctx.addIssue({ code: 'custom', path: ['region'], message: 'required for LoRaWAN devices (band plan)' });
    }
    const type = request.credentials?.type;
    if (lorawan && type !== undefined && type !== 'lorawan-appkey') {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials', 'type'],
        message: 'LoRaWAN devices use lorawan-appkey',
      });
    }
    if (!lorawan && type === 'lorawan-appkey') {
      ctx.addIssue({
        code: 'custom',
        path: ['credentials', 'type'],
        message: 'only LoRaWAN devices have an AppKey',
      });
    }
  });

export type ProvisionDeviceRequest = z.infer<typeof provisionDeviceRequest>;

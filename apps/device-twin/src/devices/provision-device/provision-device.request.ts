import { z } from 'zod';

const identifier = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:-]*$/,
    'letters, digits and . _ : - only, starting with a letter or digit',
  );

/** Body of `POST /devices`. */
export const provisionDeviceRequest = z
  .object({
    deviceId: identifier.optional().describe('Fleet-wide id; generated (UUID) when omitted'),
    serial: z.string().trim().min(1).max(128),
    manufacturer: z.string().trim().min(1).max(128),
    model: z.string().trim().min(1).max(128),
    hardwareRevision: z.string().trim().min(1).max(64).optional(),
    firmwareVersion: z.string().trim().min(1).max(64).optional(),
    tags: z.array(z.string().trim().min(1).max(64)).max(50).default([]),
    attributes: z.record(z.string().max(64), z.string().max(512)).default({}),
    reason: z
      .string()
      .trim()
      .max(500)
      .optional()
      .describe('Why the device is provisioned; recorded in its history'),
  })
  .strict();

export type ProvisionDeviceRequest = z.infer<typeof provisionDeviceRequest>;

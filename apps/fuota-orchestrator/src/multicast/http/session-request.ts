import { z } from 'zod';

/** `POST /multicast-sessions`: who, what, and how on air. */
export const sessionRequestBody = z
  .object({
    /** Device ids or DevEUIs (16 hex digits), mixed as convenient. */
    devices: z
      .array(z.string().trim().min(1).max(128))
      .min(1, 'name at least one device')
      .max(100_000, 'at most 100000 devices'),
    /** A published artifact of the catalogue... */
    artifactId: z.string().trim().min(1).max(64).optional(),
    /** ...or the signed package itself, base64 (small packages: the request body is limited to 100 kB). */
    package: z
      .string()
      .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'package must be base64')
      .optional(),
    /** EU868 data rate of the multicast downlinks (DR0-DR6). */
    dataRate: z.number().int().min(0).max(6),
    /** Default 869.525 MHz (RX2, 10 % duty cycle). */
    frequencyHz: z.number().int().min(863_000_000).max(870_000_000).optional(),
    /** Coded fragments in % of the uncoded ones; omitted: advised for 99 % after one pass at `expectedLossPercent`. */
    redundancyPercent: z.number().min(0).max(400).optional(),
    expectedLossPercent: z.number().min(0).max(90).default(5),
    /** Default: the largest the data rate carries. */
    fragmentBytes: z.number().int().min(1).max(255).optional(),
    /** Time for the unicast setup before SessionTime; default FUOTA_MULTICAST_SETUP_WINDOW_MS. */
    setupWindowSeconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 86_400)
      .optional(),
    reason: z.string().trim().min(1).max(500).optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if ((body.artifactId === undefined) === (body.package === undefined))
      ctx.addIssue({ code: 'custom', path: ['artifactId'], message: 'give either artifactId or package' });
  });

export type SessionRequest = z.output<typeof sessionRequestBody>;

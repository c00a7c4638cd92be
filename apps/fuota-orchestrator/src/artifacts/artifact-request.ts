import { parseFirmwareVersion, SIGNATURE_ALGORITHMS } from '@fleet/firmware';
import { z } from 'zod';
import { ARTIFACT_STATUSES, type ArtifactDeclaration } from './artifact';

/** Largest image the package header can describe (its size field is 32 bits). */
export const MAX_IMAGE_BYTES = 0xffffffff;

const label = (what: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} must not be empty`)
    .max(64, `${what} is at most 64 characters`)
    .regex(/^[\w.:+/ -]+$/, `${what} may hold letters, digits, spaces and . _ : + / -`);

const distinct = <T extends z.ZodType<string>>(item: T, what: string) =>
  z
    .array(item)
    .max(100, `at most 100 ${what}`)
    .refine((items) => new Set(items).size === items.length, `${what} must not repeat`);

/** The exact text the manufacturer signed: a canonical semantic version. */
const version = z
  .string()
  .max(64)
  .superRefine((text, ctx) => {
    let canonical: string;
    try {
      canonical = parseFirmwareVersion(text);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return;
    }
    if (canonical !== text) {
      ctx.addIssue({
        code: 'custom',
        message: `write the version as ${canonical} (the signature covers it)`,
      });
    }
  });

const base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'signature must be base64')
  .refine((s) => Buffer.from(s, 'base64').length <= 255, 'signature is longer than 255 bytes');

/** `POST /artifacts`: metadata first, so that a bad signature is refused before any byte is sent. */
export const declareArtifactBody = (maxImageBytes: number) =>
  z
    .object({
      version,
      models: distinct(label('a model'), 'models').refine((m) => m.length > 0, 'name at least one model'),
      hardwareRevisions: distinct(label('a hardware revision'), 'hardware revisions').default([]),
      releaseNotes: z.string().max(10_000).nullish(),
      sha256: z
        .string()
        .regex(/^[0-9a-fA-F]{64}$/, 'sha256 must be 64 hex digits')
        .transform((s) => s.toLowerCase()),
      size: z
        .number()
        .int()
        .min(1, 'size must be at least 1 byte')
        .max(maxImageBytes, `size is larger than the ${maxImageBytes} bytes allowed (FUOTA_MAX_IMAGE_BYTES)`),
      /** Optional here so that an unsigned declaration is refused as such (and recorded). */
      signature: base64.nullish(),
      keyId: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'keyId: letters, digits, . _ - (at most 128)')
        .nullish(),
      algorithm: z.enum(SIGNATURE_ALGORITHMS).default('ecdsa-p256'),
      reason: z.string().trim().min(1).max(500).nullish(),
    })
    .strict()
    .superRefine((body, ctx) => {
      if (body.signature && !body.keyId) {
        ctx.addIssue({ code: 'custom', path: ['keyId'], message: 'name the key that made the signature' });
      }
    });

export type DeclareArtifactBody = z.output<ReturnType<typeof declareArtifactBody>>;

export function declarationOf(body: DeclareArtifactBody): ArtifactDeclaration {
  return {
    version: body.version,
    models: body.models,
    hardwareRevisions: body.hardwareRevisions,
    releaseNotes: body.releaseNotes ?? null,
    sha256: body.sha256,
    size: body.size,
    signature: body.signature || null,
    keyId: body.keyId ?? null,
    algorithm: body.algorithm,
  };
}

/** `GET /artifacts` filters. */
export const listArtifactsQuery = z
  .object({
    model: z.string().min(1).max(64).optional(),
    version: z.string().min(1).max(64).optional(),
    status: z.enum(ARTIFACT_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export type ListArtifactsQuery = z.output<typeof listArtifactsQuery>;

/** `POST /artifacts/:id/download-links`: a link for one device, as campaigns hand out. */
export const downloadLinkBody = z.object({ deviceId: z.string().trim().min(1).max(128) }).strict();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Artifact ids are UUIDs; anything else cannot name one. */
export const isArtifactId = (id: string): boolean => UUID.test(id);

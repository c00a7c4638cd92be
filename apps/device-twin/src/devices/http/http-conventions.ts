import { ValidationError } from '@fleet/core';
import { z } from 'zod';

/** The twin version named by an `If-Match` header (`"7"`, `W/"7"` or `7`); undefined when absent. */
export function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"?(\d{1,15})"?$/.exec(header.trim());
  if (!match) throw new ValidationError(`If-Match: expected a twin version such as "7", got ${header}`);
  return Number(match[1]);
}

export const reason = z.string().trim().min(1).max(500);

/** Body of lifecycle operations; `required` says whether the history must say why. */
export const lifecycleBody = (required: boolean) =>
  z.object({ reason: required ? reason : reason.optional() }).strict();

export const etag = (version: number): string => `"${version}"`;

/** Request headers as Express gives them (lower-case names). */
export type RequestHeaders = Record<string, string | undefined>;

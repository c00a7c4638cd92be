import { type PipeTransform } from '@nestjs/common';
import { ValidationError } from '@fleet/core';
import { type z } from 'zod';

/** One bad field, as clients see it in `details.issues`. */
export interface FieldIssue {
  /** Dotted path into the input (`items.0.serial`), `(root)` for the input itself. */
  readonly path: string;
  readonly message: string;
}

/** Flattens zod issues into field issues; a missing field reads `Required`. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
}

const requiredMessage = (issue: { input?: unknown; code?: string }) =>
  issue.code === 'invalid_type' && issue.input === undefined ? 'Required' : undefined;

/**
 * Validates untrusted input (a request body, query, message payload) against a zod schema.
 *
 * @param what names the input in the error message, e.g. `request body`.
 * @throws ValidationError whose message names every bad field (`serial: Required`) and whose
 *   `details.issues` lists them for clients.
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input, { error: requiredMessage });
  if (result.success) return result.data;
  const issues = toFieldIssues(result.error);
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  throw new ValidationError(`${what} is invalid: ${summary}`, { issues });
}

/** {@link parseInput} for request bodies: `const cmd = parseBody(RegisterDevice, body)`. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  return parseInput(schema, body, 'request body');
}

/** Pipe form of {@link parseBody}: `@Body(new ZodValidationPipe(RegisterDevice)) cmd: RegisterDevice`. */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(
    private readonly schema: S,
    private readonly what = 'request body',
  ) {}

  transform(value: unknown): z.output<S> {
    return parseInput(this.schema, value, this.what);
  }
}

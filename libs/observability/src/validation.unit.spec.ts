import { ValidationError } from '@fleet/core';
import { z } from 'zod';
import { parseBody, ZodValidationPipe } from './validation';

const RegisterDevice = z.object({
  serial: z.string().min(4),
  model: z.string(),
  tags: z.array(z.object({ key: z.string() })).optional(),
});

function validationErrorOf(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseBody', () => {
  it('returns the parsed value', () => {
    expect(parseBody(RegisterDevice, { serial: 'SN-1', model: 'm', extra: 1 })).toEqual({
      serial: 'SN-1',
      model: 'm',
    });
  });

  it('names every bad field, nested ones by dotted path', () => {
    const error = validationErrorOf(() => parseBody(RegisterDevice, { model: 42, tags: [{ key: 1 }] }));
    expect(error.message).toBe(
      'request body is invalid: serial: Required; model: Invalid input: expected string, received number; ' +
        'tags.0.key: Invalid input: expected string, received number',
    );
    expect(error.details).toEqual({
      issues: [
        { path: 'serial', message: 'Required' },
        { path: 'model', message: 'Invalid input: expected string, received number' },
        { path: 'tags.0.key', message: 'Invalid input: expected string, received number' },
      ],
    });
  });

  it('reports a missing body at the root', () => {
    const error = validationErrorOf(() => parseBody(RegisterDevice, undefined));
    expect(error.details['issues']).toEqual([{ path: '(root)', message: 'Required' }]);
  });

  it('has a pipe form', () => {
    const pipe = new ZodValidationPipe(RegisterDevice, 'query');
    expect(() => pipe.transform({ serial: 'x', model: 'm' })).toThrow(
      /^query is invalid: serial: Too small: expected string to have >=4 characters$/,
    );
  });
});

import { z } from 'zod';
import { deviceFilterSchema, queryStringToObject } from '../../devices/search-devices/device-query';
import { GROUP_NAME } from '../group';

const reason = z.string().trim().min(1, 'must not be empty').max(500);
const description = z.string().trim().max(500).default('');
const name = z.string().regex(GROUP_NAME, 'lower-case letters, digits and -, 1 to 64 characters');

/**
 * A dynamic group's filter: the filter fields of `GET /devices` as a JSON object
 * (`{"firmware": "1.2.0", "tag": ["water"]}`) or as a query string (`"firmware=1.2.0&tag=water"`).
 * Stored normalised (arrays for `tag` and `status`, numbers, booleans, UTC instants).
 */
const savedQuery = z.preprocess(
  (value) => (typeof value === 'string' ? queryStringToObject(value) : value),
  deviceFilterSchema.refine((filter) => Object.keys(filter).length > 0, {
    message: 'a dynamic group needs at least one filter',
  }),
);

const staticGroup = {
  kind: z.literal('static'),
  /** Members are the devices carrying this tag. */
  tag: z.string().trim().min(1, 'must not be empty').max(64),
  description,
  reason: reason.optional(),
};

const dynamicGroup = {
  kind: z.literal('dynamic'),
  query: savedQuery,
  description,
  reason: reason.optional(),
};

const definition = <T extends Record<string, z.ZodType>>(extra: T) =>
  z.discriminatedUnion(
    'kind',
    [z.strictObject({ ...staticGroup, ...extra }), z.strictObject({ ...dynamicGroup, ...extra })],
    { error: (issue) => (issue.code === 'invalid_union' ? 'must be static or dynamic' : undefined) },
  );

/** Body of `POST /groups`. */
export const defineGroupRequest = definition({ name });

/** Body of `PUT /groups/:name` (the name is in the path; a `name` in the body must match it). */
export const redefineGroupRequest = definition({ name: name.optional() });

/** Body (or query string) of `DELETE /groups/:name`: deleting must say why. */
export const deleteGroupRequest = z.strictObject({ reason });

export type DefineGroupRequest = z.output<typeof defineGroupRequest>;
export type RedefineGroupRequest = z.output<typeof redefineGroupRequest>;

import { ValidationError } from '@fleet/core';
import { parseBody } from '@fleet/observability';
import { defineGroupRequest, deleteGroupRequest, redefineGroupRequest } from './group.request';

function issuesOf(run: () => unknown): Record<string, string> {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    const issues = error.details['issues'] as { path: string; message: string }[];
    return Object.fromEntries(issues.map((issue) => [issue.path, issue.message]));
  }
  throw new Error('expected a ValidationError');
}

describe('group requests', () => {
  it('a static group: name, tag, description, reason', () => {
    expect(
      parseBody(defineGroupRequest, { name: 'north', kind: 'static', tag: 'site-north', reason: 'new site' }),
    ).toEqual({ name: 'north', kind: 'static', tag: 'site-north', description: '', reason: 'new site' });
  });

  it('a dynamic group: the query is validated and normalised with the search schema', () => {
    const normalised = { status: ['active'], batteryBelow: 20, lastSeenAfter: 'P1D' };
    expect(
      parseBody(defineGroupRequest, {
        name: 'low-battery',
        kind: 'dynamic',
        query: { status: 'active', batteryBelow: '20', lastSeenAfter: 'p1d' },
        description: 'Active devices below 20 %',
      }),
    ).toEqual({
      name: 'low-battery',
      kind: 'dynamic',
      query: normalised,
      description: 'Active devices below 20 %',
    });
    expect(
      parseBody(defineGroupRequest, {
        name: 'low-battery',
        kind: 'dynamic',
        query: 'status=active&batteryBelow=20&lastSeenAfter=P1D',
      }),
    ).toMatchObject({ query: normalised });
  });

  it('names bad fields, nested ones inside the query', () => {
    expect(
      issuesOf(() =>
        parseBody(defineGroupRequest, {
          name: 'Low Battery',
          kind: 'dynamic',
          query: { batteryBelow: 'low', colour: 'red' },
        }),
      ),
    ).toEqual({
      name: 'lower-case letters, digits and -, 1 to 64 characters',
      'query.batteryBelow': 'must be a number between 0 and 100',
      query: expect.stringMatching(/^unknown parameter colour;/),
    });
    expect(issuesOf(() => parseBody(defineGroupRequest, { name: 'x', kind: 'dynamic', query: {} }))).toEqual({
      query: 'a dynamic group needs at least one filter',
    });
    expect(issuesOf(() => parseBody(defineGroupRequest, { name: 'x', kind: 'smart' }))).toEqual({
      kind: 'must be static or dynamic',
    });
    expect(issuesOf(() => parseBody(defineGroupRequest, { name: 'x', kind: 'static' }))).toEqual({
      tag: 'Required',
    });
    expect(
      issuesOf(() =>
        parseBody(defineGroupRequest, { name: 'x', kind: 'static', tag: 't', query: { model: 'm' } }),
      ),
    ).toEqual({ '(root)': 'Unrecognized key: "query"' });
  });

  it('a redefinition may repeat the name; a deletion must say why', () => {
    expect(parseBody(redefineGroupRequest, { kind: 'static', tag: 't' })).toMatchObject({ kind: 'static' });
    expect(parseBody(redefineGroupRequest, { name: 'x', kind: 'static', tag: 't' })).toMatchObject({
      name: 'x',
    });
    expect(issuesOf(() => parseBody(deleteGroupRequest, {}))).toEqual({ reason: 'Required' });
    expect(issuesOf(() => parseBody(deleteGroupRequest, { reason: ' ' }))).toEqual({
      reason: 'must not be empty',
    });
  });
});

import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '@fleet/core';
import {
  canonicalJson,
  decideGroup,
  evolveGroup,
  groupStream,
  initialGroupState,
  type GroupCommand,
  type GroupDefinition,
  type GroupEvent,
} from './group';

const northMeters: GroupDefinition = {
  name: 'north-meters',
  kind: 'static',
  tag: 'site-north',
  query: null,
  description: 'Meters of the north site',
};
const lowBattery: GroupDefinition = {
  name: 'north-meters',
  kind: 'dynamic',
  tag: null,
  query: { tag: ['site-north'], batteryBelow: 20 },
  description: 'North meters running out of battery',
};

const given = (...events: GroupEvent[]) => events.reduce(evolveGroup, initialGroupState);
const when = (command: GroupCommand, ...history: GroupEvent[]) => decideGroup(command, given(...history));
const defined: GroupEvent = { type: 'GroupDefined', data: northMeters };

describe('Group', () => {
  it('lives in the stream group-<name>', () => {
    expect(groupStream('north-meters')).toBe('group-north-meters');
  });

  describe('DefineGroup', () => {
    it('given no group, when defined, then GroupDefined records the definition', () => {
      expect(when({ type: 'DefineGroup', definition: northMeters })).toEqual([defined]);
    });

    it('given a group, when defined again, then it is a conflict', () => {
      expect(() => when({ type: 'DefineGroup', definition: lowBattery }, defined)).toThrow(ConflictError);
    });

    it('given a deleted group, when defined again, then the name is reused', () => {
      const deleted: GroupEvent = { type: 'GroupDeleted', data: { name: 'north-meters' } };
      expect(when({ type: 'DefineGroup', definition: lowBattery }, defined, deleted)).toEqual([
        { type: 'GroupDefined', data: lowBattery },
      ]);
    });

    it.each([
      ['an upper-case name', { ...northMeters, name: 'North' }],
      ['an empty name', { ...northMeters, name: '' }],
      ['a name over 64 characters', { ...northMeters, name: 'a'.repeat(65) }],
      ['a static group without a tag', { ...northMeters, tag: null }],
      ['a static group with a query', { ...northMeters, query: { firmware: '1.2.0' } }],
      ['a dynamic group without a query', { ...lowBattery, query: null }],
      ['a dynamic group with an empty query', { ...lowBattery, query: {} }],
      ['a dynamic group with a tag', { ...lowBattery, tag: 'x' }],
    ])('refuses %s', (_what, definition) => {
      expect(() => when({ type: 'DefineGroup', definition })).toThrow(ValidationError);
    });

    it('accepts a name of 64 lower-case letters, digits and -', () => {
      const name = `a-1${'b'.repeat(61)}`;
      expect(when({ type: 'DefineGroup', definition: { ...northMeters, name } })).toHaveLength(1);
    });
  });

  describe('RedefineGroup', () => {
    it('given a group, when redefined, then GroupRedefined records the new definition', () => {
      expect(when({ type: 'RedefineGroup', definition: lowBattery }, defined)).toEqual([
        { type: 'GroupRedefined', data: lowBattery },
      ]);
    });

    it('given a group, when redefined with the version seen, then it is accepted', () => {
      expect(
        when({ type: 'RedefineGroup', definition: lowBattery, expectedVersion: 1 }, defined),
      ).toHaveLength(1);
    });

    it('given a group that moved on, when redefined with an older version, then the precondition fails', () => {
      const redefined: GroupEvent = { type: 'GroupRedefined', data: lowBattery };
      expect(() =>
        when({ type: 'RedefineGroup', definition: northMeters, expectedVersion: 1 }, defined, redefined),
      ).toThrow(PreconditionFailedError);
    });

    it('given the same definition (keys in another order), when redefined, then nothing happens', () => {
      const redefined: GroupEvent = { type: 'GroupRedefined', data: lowBattery };
      const reordered = { ...lowBattery, query: { batteryBelow: 20, tag: ['site-north'] } };
      expect(when({ type: 'RedefineGroup', definition: reordered }, defined, redefined)).toEqual([]);
    });

    it('given no group or a deleted one, when redefined, then it is not found', () => {
      expect(() => when({ type: 'RedefineGroup', definition: lowBattery })).toThrow(NotFoundError);
      const deleted: GroupEvent = { type: 'GroupDeleted', data: { name: 'north-meters' } };
      expect(() => when({ type: 'RedefineGroup', definition: lowBattery }, defined, deleted)).toThrow(
        NotFoundError,
      );
    });
  });

  describe('DeleteGroup', () => {
    it('given a group, when deleted, then GroupDeleted', () => {
      expect(when({ type: 'DeleteGroup', name: 'north-meters' }, defined)).toEqual([
        { type: 'GroupDeleted', data: { name: 'north-meters' } },
      ]);
    });

    it('given a group at version 1, when deleted expecting version 2, then the precondition fails', () => {
      expect(() => when({ type: 'DeleteGroup', name: 'north-meters', expectedVersion: 2 }, defined)).toThrow(
        PreconditionFailedError,
      );
    });

    it('given no group, when deleted, then it is not found', () => {
      expect(() => when({ type: 'DeleteGroup', name: 'north-meters' })).toThrow(NotFoundError);
    });
  });

  describe('evolve', () => {
    it('counts every event as a version and keeps the latest definition', () => {
      expect(given(defined, { type: 'GroupRedefined', data: lowBattery })).toEqual({
        status: 'defined',
        version: 2,
        ...lowBattery,
      });
      expect(given(defined, { type: 'GroupDeleted', data: { name: 'north-meters' } })).toEqual({
        status: 'deleted',
        version: 2,
      });
    });
  });

  it('canonical JSON ignores key order, not array order', () => {
    expect(canonicalJson({ b: 1, a: [2, 1] })).toBe(canonicalJson({ a: [2, 1], b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});

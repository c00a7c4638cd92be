import { alertIdFor } from './alert-identity';

describe('alert ids', () => {
  it('are the same for the same rule, subject and episode, and differ otherwise', () => {
    expect(alertIdFor('r1', 'd1', 1)).toBe(alertIdFor('r1', 'd1', 1));
    const ids = new Set([
      alertIdFor('r1', 'd1', 1),
      alertIdFor('r1', 'd1', 2),
      alertIdFor('r2', 'd1', 1),
      alertIdFor('r1', 'd2', 1),
    ]);
    expect(ids.size).toBe(4);
  });

  it('are RFC 9562 version 8 UUIDs', () => {
    expect(alertIdFor('r1', 'd1', 1)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

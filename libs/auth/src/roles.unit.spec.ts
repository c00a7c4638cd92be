import { rolesFromClaims } from './roles';

describe('rolesFromClaims', () => {
  it.each([
    [{ roles: ['admin', 'viewer'] }, ['admin', 'viewer']],
    [{ role: 'support' }, ['support']],
    [{ roles: ['viewer'], role: 'operator' }, ['viewer', 'operator']],
    [{ roles: ['offline_access', 'admin', 42] }, ['admin']],
    [{ roles: 'admin' }, []],
    [{}, []],
  ])('%j grants %j', (claims, roles) => {
    expect(rolesFromClaims(claims)).toEqual(roles);
  });
});

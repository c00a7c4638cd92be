import { ApiError, FleetApi, toQueryString, UnreachableError } from './api-client';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('fleetctl api client', () => {
  it('repeats array parameters and leaves out undefined ones', () => {
    expect(toQueryString({ type: ['A', 'B'], actor: undefined, limit: 5 })).toBe('?type=A&type=B&limit=5');
    expect(toQueryString({})).toBe('');
  });

  it('sends the token once and follows nextCursor for the whole history', async () => {
    const calls: { url: string; auth: string | null }[] = [];
    const pages: Record<string, unknown> = {
      '': { deviceId: 'd', entries: [{ version: 1 }], nextCursor: 'c1' },
      c1: { deviceId: 'd', entries: [{ version: 2 }], nextCursor: null },
    };
    const token = jest.fn(async () => 't0k');
    const api = new FleetApi({
      baseUrl: 'http://twin/',
      token,
      fetch: async (input, init) => {
        const url = new URL(input);
        calls.push({ url: url.toString(), auth: new Headers(init?.headers).get('authorization') });
        return json(200, pages[url.searchParams.get('cursor') ?? '']);
      },
    });
    const history = await api.fullHistory('d 1', { limit: 1 });
    expect(history.entries).toEqual([{ version: 1 }, { version: 2 }]);
    expect(history.nextCursor).toBeNull();
    expect(calls.map((c) => c.url)).toEqual([
      'http://twin/devices/d%201/history?limit=1',
      'http://twin/devices/d%201/history?limit=1&cursor=c1',
    ]);
    expect(calls.every((c) => c.auth === 'Bearer t0k')).toBe(true);
    expect(token).toHaveBeenCalledTimes(1);
  });

  it('turns an error answer into ApiError with status, code and message', async () => {
    const api = new FleetApi({
      baseUrl: 'http://twin',
      token: async () => 't',
      fetch: async () => json(404, { statusCode: 404, code: 'NOT_FOUND', message: 'device x not found' }),
    });
    await expect(api.getDevice('x')).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      message: 'device x not found',
    });
    const legacy = new FleetApi({
      baseUrl: 'http://twin',
      token: async () => 't',
      fetch: async () => json(401, { statusCode: 401, error: 'UNAUTHENTICATED', message: 'token expired' }),
    });
    await expect(legacy.getDevice('x')).rejects.toEqual(expect.any(ApiError));
    await expect(legacy.getDevice('x')).rejects.toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('reports a network failure as unreachable', async () => {
    const api = new FleetApi({
      baseUrl: 'http://twin:1',
      token: async () => 't',
      fetch: async () => {
        throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
      },
    });
    const error = await api.getDevice('x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toBe(
      'device-twin is not reachable at http://twin:1: is the stack running (npm start)? (ECONNREFUSED)',
    );
  });
});

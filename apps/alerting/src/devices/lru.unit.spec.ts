import { Lru } from './lru';

describe('bounded cache', () => {
  it('given more entries than its capacity, then it keeps at most that many, the recently used ones', () => {
    const cache = new Lru<number, string>(4);
    for (let i = 0; i < 4; i++) cache.set(i, `v${i}`);
    expect(cache.get(0)).toBe('v0');
    for (let i = 4; i < 8; i++) cache.set(i, `v${i}`);
    expect(cache.size).toBeLessThanOrEqual(4);
    expect(cache.peek(7)).toBe('v7');
    expect(cache.peek(1)).toBeUndefined();
  });

  it('given a value replaced or deleted, then reads see that', () => {
    const cache = new Lru<string, number>(10);
    cache.set('a', 1);
    cache.set('a', 2);
    expect(cache.get('a')).toBe(2);
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
  });
});

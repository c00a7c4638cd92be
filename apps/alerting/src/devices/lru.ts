/**
 * A bounded cache that forgets what was not used lately: entries live in a young and an old
 * generation; a hit in the old one moves the entry to the young one, and when the young one is
 * full it becomes the old one (whose entries are dropped). At most `capacity` entries, and a hit
 * costs one or two map lookups, never the delete-and-insert of an exact LRU, which the telemetry
 * hot path would pay for every device of every batch.
 */
export class Lru<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generation: number;

  constructor(capacity: number) {
    this.generation = Math.max(1, Math.floor(capacity / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined) return value;
    const aged = this.old.get(key);
    if (aged === undefined) return undefined;
    this.old.delete(key);
    this.store(key, aged);
    return aged;
  }

  /** Like {@link get} without refreshing the entry. */
  peek(key: K): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.store(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }

  private store(key: K, value: V): void {
    if (this.young.size >= this.generation) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}

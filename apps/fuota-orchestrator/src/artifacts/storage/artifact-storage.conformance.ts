import { randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { NotFoundError, ValidationError } from '@fleet/core';
import type { ArtifactStorage } from './artifact-storage.port';

export interface StorageConformanceTarget {
  readonly storage: ArtifactStorage;
  cleanup(): Promise<void>;
}

async function* chunksOf(bytes: Buffer, chunkSize = 64 * 1024): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += chunkSize) {
    yield bytes.subarray(offset, offset + chunkSize);
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The behaviour every `ArtifactStorage` adapter must have (filesystem today, object storage
 * tomorrow). Tests isolate themselves by key prefix, so the target may hold other objects.
 */
export function describeArtifactStorageConformance(
  name: string,
  factory: () => Promise<StorageConformanceTarget>,
): void {
  describe(`ArtifactStorage conformance: ${name}`, () => {
    let target: StorageConformanceTarget | undefined;
    const storage = (): ArtifactStorage => {
      if (!target) throw new Error('storage target not ready');
      return target.storage;
    };
    const key = (name = 'object.bin') => `conformance-${randomUUID()}/${name}`;

    beforeAll(async () => {
      target = await factory();
    });
    afterAll(() => target?.cleanup());

    it('stores a streamed object and gives back the same bytes, its size, and any range of it', async () => {
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      const k = key();
      expect(await storage().write(k, chunksOf(bytes))).toEqual({ size: bytes.length });
      expect(await storage().stat(k)).toEqual({ size: bytes.length });
      expect((await readAll(await storage().read(k))).equals(bytes)).toBe(true);
      for (const [start, end] of [
        [0, 0],
        [0, 99],
        [100_000, 1_500_000],
        [bytes.length - 1, bytes.length - 1],
      ] as const) {
        const part = await readAll(await storage().read(k, { start, end }));
        expect(part.equals(bytes.subarray(start, end + 1))).toBe(true);
      }
    });

    it('refuses a range that is not within the object', async () => {
      const k = key();
      await storage().write(k, chunksOf(Buffer.from('0123456789')));
      await expect(storage().read(k, { start: 5, end: 10 })).rejects.toThrow(ValidationError);
      await expect(storage().read(k, { start: 6, end: 5 })).rejects.toThrow(ValidationError);
    });

    it('keeps nothing when the content fails, and rethrows its error', async () => {
      const k = key();
      const failure = new Error('digest differs');
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield randomBytes(100_000);
        throw failure;
      }
      await expect(storage().write(k, failing())).rejects.toBe(failure);
      expect(await storage().stat(k)).toBeUndefined();
      await expect(storage().read(k)).rejects.toThrow(NotFoundError);
    });

    it('replaces an object atomically, keeping the old one when the new content fails', async () => {
      const k = key();
      await storage().write(k, chunksOf(Buffer.from('first')));
      async function* failing(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('second, but broken');
        throw new Error('broken');
      }
      await expect(storage().write(k, failing())).rejects.toThrow('broken');
      expect((await readAll(await storage().read(k))).toString()).toBe('first');
      await storage().write(k, chunksOf(Buffer.from('second')));
      expect((await readAll(await storage().read(k))).toString()).toBe('second');
    });

    it('shows nothing of an object while it is being written', async () => {
      const k = key();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      async function* slow(): AsyncGenerator<Uint8Array> {
        yield randomBytes(1000);
        await gate;
        yield randomBytes(1000);
      }
      const writing = storage().write(k, slow());
      await sleep(50);
      expect(await storage().stat(k)).toBeUndefined();
      release();
      expect(await writing).toEqual({ size: 2000 });
      expect(await storage().stat(k)).toEqual({ size: 2000 });
    });

    it('lets a reader finish what it opened when the object is deleted meanwhile', async () => {
      const k = key();
      const bytes = randomBytes(2 * 1024 * 1024);
      await storage().write(k, chunksOf(bytes));
      const stream = await storage().read(k);
      await storage().delete(k);
      expect((await readAll(stream)).equals(bytes)).toBe(true);
      expect(await storage().stat(k)).toBeUndefined();
    });

    it('answers a missing object with NotFoundError (read), undefined (stat), and deletes it quietly', async () => {
      const k = key();
      await expect(storage().read(k)).rejects.toThrow(NotFoundError);
      expect(await storage().stat(k)).toBeUndefined();
      await expect(storage().delete(k)).resolves.toBeUndefined();
    });

    it.each(['', '../escape', '/absolute', 'a/../../b', '.hidden', 'a//b', 'spaces are bad'])(
      'refuses the key %j',
      async (bad) => {
        await expect(storage().write(bad, chunksOf(Buffer.from('x')))).rejects.toThrow(ValidationError);
        await expect(storage().read(bad)).rejects.toThrow(ValidationError);
      },
    );
  });
}

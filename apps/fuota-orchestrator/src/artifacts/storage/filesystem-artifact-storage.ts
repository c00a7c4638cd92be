import { randomUUID } from 'node:crypto';
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { NotFoundError, ValidationError } from '@fleet/core';
import type { ArtifactStorage, ByteRange } from './artifact-storage.port';

/** Segments of letters, digits, `.`, `_`, `-`, not starting with a dot: no `..`, no hidden files. */
const KEY = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}(\/[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}){0,7}$/;
/** Temporary files are hidden (dot) names beside their target, which keys can never be. */
const TEMP_SUFFIX = '.partial';

/**
 * Artifact storage in a directory: a write goes to a hidden temporary file beside the target,
 * is flushed to disk (fsync), then renamed over the key, so a reader or a crash never sees half a
 * package. On a volume shared by replicas (NFS, EFS, a ReadWriteMany claim) every replica sees
 * every package.
 */
export class FilesystemArtifactStorage implements ArtifactStorage {
  constructor(readonly root: string) {}

  async write(key: string, content: AsyncIterable<Uint8Array>): Promise<{ size: number }> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const temp = join(dirname(path), `.${randomUUID()}${TEMP_SUFFIX}`);
    const file = await open(temp, 'wx', 0o644);
    let size = 0;
    try {
      for await (const chunk of content) {
        // Awaiting each write is the backpressure: the source is read no faster than the disk takes it.
        await file.write(chunk);
        size += chunk.byteLength;
      }
      await file.sync();
      await file.close();
      await rename(temp, path);
      await syncDirectory(dirname(path));
      return { size };
    } catch (error) {
      await file.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    let file;
    try {
      file = await open(path, 'r');
    } catch (error) {
      throw notFoundOr(error, key);
    }
    if (range) {
      const { size } = await file.stat();
      if (
        !Number.isSafeInteger(range.start) ||
        range.start < 0 ||
        range.end < range.start ||
        range.end >= size
      ) {
        await file.close();
        throw new ValidationError(`range ${range.start}-${range.end} is not within ${key} (${size} bytes)`);
      }
    }
    // Reading through the open handle: a delete or an overwrite (rename) meanwhile does not cut it.
    return file.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      return { size: (await stat(this.pathOf(key))).size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private pathOf(key: string): string {
    if (!KEY.test(key)) throw new ValidationError(`invalid artifact storage key "${key}"`);
    return join(this.root, key);
  }
}

function notFoundOr(error: unknown, key: string): unknown {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? new NotFoundError(`no object ${key} in artifact storage`, { key })
    : error;
}

/** Makes the rename itself durable; some filesystems refuse to open a directory, which is fine. */
async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r').catch(() => undefined);
  if (!directory) return;
  try {
    await directory.sync();
  } catch {
    // Not supported here: the rename is still atomic, only its durability is the OS's call.
  } finally {
    await directory.close();
  }
}

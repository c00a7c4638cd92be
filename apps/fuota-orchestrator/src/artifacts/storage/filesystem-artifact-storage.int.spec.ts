import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeArtifactStorageConformance } from './artifact-storage.conformance';
import { FilesystemArtifactStorage } from './filesystem-artifact-storage';

describeArtifactStorageConformance('filesystem', async () => {
  const root = await mkdtemp(join(tmpdir(), 'fuota-artifacts-'));
  return {
    storage: new FilesystemArtifactStorage(join(root, 'nested', 'artifacts')),
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
});

describe('FilesystemArtifactStorage', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'fuota-artifacts-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('leaves no temporary file behind, whether the write succeeds or fails', async () => {
    const storage = new FilesystemArtifactStorage(root);
    async function* content(fail: boolean): AsyncGenerator<Uint8Array> {
      yield Buffer.alloc(10_000, 1);
      if (fail) throw new Error('refused');
    }
    await storage.write('packages/a.fwp', content(false));
    await expect(storage.write('packages/b.fwp', content(true))).rejects.toThrow('refused');
    expect(await readdir(join(root, 'packages'))).toEqual(['a.fwp']);
  });
});

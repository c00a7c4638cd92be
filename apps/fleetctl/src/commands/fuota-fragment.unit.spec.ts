import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { run } from '../program';
import { parseRedundancy, registerFuotaCommands } from './fuota-fragment';

/** The coded fragments brocaar/lorawan (Go) expects for the bytes 0x00..0x63, 10-byte fragments, redundancy 10. */
const REFERENCE_CODED = [
  '262622222e2e22222626',
  '5455565758596a6b7c7d',
  '5c5d6e6f101102030405',
  '363632323e3e22223636',
  '3a3a0e0e0a0a06060a0a',
  '0e0e3232363622223e3e',
  '02020e0e727276766262',
  '1e1e1a1a66665a5a4e4e',
  '1a1b1c1d1e1f30312223',
  '22232425262718190a0b',
];

async function fragment(args: string[], file: Uint8Array) {
  const out: string[] = [];
  const err: string[] = [];
  const program = new Command('fleetctl')
    .exitOverride()
    .configureOutput({ writeOut: (t) => out.push(t), writeErr: (t) => err.push(t) });
  registerFuotaCommands(
    program,
    { stdout: (t) => out.push(t), stderr: (t) => err.push(t) },
    async () => file,
  );
  await program.parseAsync(['fuota', 'fragment', ...args, 'image.bin'], { from: 'user' });
  return { lines: out.join('').split('\n').filter(Boolean), err: err.join('') };
}

const counting = Uint8Array.from({ length: 100 }, (_, i) => i);

describe('fleetctl fuota fragment', () => {
  it('given the reference block, when fragmented with redundancy 10, then it prints the uncoded then the coded fragments of the independent implementation', async () => {
    const { lines, err } = await fragment(['--size', '10', '--redundancy', '10'], counting);

    expect(lines).toHaveLength(20);
    expect(lines.slice(0, 10)).toEqual(
      Array.from({ length: 10 }, (_, j) =>
        Buffer.from(counting.subarray(j * 10, j * 10 + 10)).toString('hex'),
      ),
    );
    expect(lines.slice(10)).toEqual(REFERENCE_CODED);
    expect(err).toBe(
      'fleetctl: 10 uncoded + 10 coded fragments of 10 bytes; FragSessionSetupReq NbFrag 10, FragSize 10, Padding 0\n',
    );
  });

  it('given a percentage and --data-fragment, when fragmented, then it prints whole FPort 201 payloads', async () => {
    const { lines } = await fragment(
      ['--size', '10', '--redundancy', '20%', '--data-fragment', '2'],
      counting,
    );

    expect(lines).toHaveLength(12);
    expect(lines[0]).toBe('080180' + '00010203040506070809');
    expect(lines[11]).toBe('080c80' + REFERENCE_CODED[1]);
  });

  it('given a block that is not a multiple of the size, when fragmented, then the last uncoded fragment is zero-padded', async () => {
    const { lines, err } = await fragment(
      ['--size', '4', '--redundancy', '0'],
      Uint8Array.from([1, 2, 3, 4, 5]),
    );

    expect(lines).toEqual(['01020304', '05000000']);
    expect(err).toContain('Padding 3');
  });

  it.each([
    [['--size', '0', '--redundancy', '1'], '"0" must be at least 1'],
    [['--size', '300', '--redundancy', '1'], 'fragment size 300 is not 1-255 bytes'],
    [['--size', '10', '--redundancy', 'lots'], 'neither a number of coded fragments'],
    [['--size', '10', '--redundancy', '1', '--data-fragment', '4'], 'FragIndex 4 is not 0-3'],
  ])('given %j, when fragmented, then it is a usage error', async (args, reason) => {
    await expect(fragment(args, counting)).rejects.toThrow(reason);
  });

  it('given a file on disk, when run as fleetctl, then it exits 0 and prints the fragments; a missing file exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fuota-'));
    try {
      writeFileSync(join(dir, 'image.bin'), counting);
      const out: string[] = [];
      const err: string[] = [];
      const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t) };

      expect(
        await run(['fuota', 'fragment', '--size', '10', '--redundancy', '10', join(dir, 'image.bin')], io),
      ).toBe(0);
      expect(out.join('').trimEnd().split('\n').slice(10)).toEqual(REFERENCE_CODED);
      expect(
        await run(['fuota', 'fragment', '--size', '10', '--redundancy', '1', join(dir, 'missing.bin')], io),
      ).toBe(2);
      expect(err.join('')).toContain('cannot read');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads redundancy as a count or a percentage', () => {
    expect(parseRedundancy('20')).toEqual({ codedFragments: 20 });
    expect(parseRedundancy('12.5%')).toEqual({ ratio: 0.125 });
  });
});

import { type ValidationError } from '@fleet/core';
import { parseBody } from '@fleet/observability';
import { declarationOf, declareArtifactBody, listArtifactsQuery } from './artifact-request';

const schema = declareArtifactBody(1_000_000);
const valid = {
  version: '1.4.3',
  models: ['WM-200'],
  sha256: 'A'.repeat(64),
  size: 2048,
  signature: 'c2lnbmF0dXJl',
  keyId: 'acme-2026',
};
const issues = (body: unknown) => {
  try {
    parseBody(schema, body);
  } catch (error) {
    return (error as ValidationError).message;
  }
  throw new Error('accepted');
};

describe('POST /artifacts body', () => {
  it('accepts a signed declaration, with defaults and a lowercase digest', () => {
    expect(declarationOf(parseBody(schema, valid))).toEqual({
      version: '1.4.3',
      models: ['WM-200'],
      hardwareRevisions: [],
      releaseNotes: null,
      sha256: 'a'.repeat(64),
      size: 2048,
      signature: 'c2lnbmF0dXJl',
      keyId: 'acme-2026',
      algorithm: 'ecdsa-p256',
    });
  });

  it('lets an unsigned declaration through, to be refused and recorded as such', () => {
    const { signature: _s, keyId: _k, ...unsigned } = valid;
    expect(declarationOf(parseBody(schema, unsigned))).toMatchObject({ signature: null, keyId: null });
    expect(declarationOf(parseBody(schema, { ...valid, signature: '' })).signature).toBeNull();
  });

  it.each([
    [{ version: 'v1.4.3' }, 'version: write the version as 1.4.3 (the signature covers it)'],
    [{ version: 'latest' }, 'version: "latest" is not a semantic version'],
    [{ models: [] }, 'models: name at least one model'],
    [{ models: ['WM-200', 'WM-200'] }, 'models: models must not repeat'],
    [{ sha256: 'abc' }, 'sha256: sha256 must be 64 hex digits'],
    [{ size: 0 }, 'size: size must be at least 1 byte'],
    [{ size: 2_000_000 }, 'size: size is larger than the 1000000 bytes allowed'],
    [{ size: 1.5 }, 'size:'],
    [{ signature: 'not base64!' }, 'signature: signature must be base64'],
    [{ keyId: '../etc' }, 'keyId: keyId: letters, digits'],
    [{ keyId: undefined }, 'keyId: name the key that made the signature'],
    [{ algorithm: 'rsa' }, 'algorithm:'],
    [{ colour: 'blue' }, 'colour'],
  ])('refuses %j: %s', (change, message) => {
    expect(issues({ ...valid, ...change })).toContain(message);
  });

  it('requires version, models, sha256 and size', () => {
    const message = issues({});
    for (const field of ['version: Required', 'models: Required', 'sha256: Required', 'size: Required']) {
      expect(message).toContain(field);
    }
  });
});

describe('GET /artifacts query', () => {
  it('defaults the limit and refuses unknown filters', () => {
    expect(listArtifactsQuery.parse({ model: 'WM-200' })).toEqual({ model: 'WM-200', limit: 100 });
    expect(listArtifactsQuery.safeParse({ status: 'gone' }).success).toBe(false);
    expect(listArtifactsQuery.safeParse({ colour: 'blue' }).success).toBe(false);
  });
});

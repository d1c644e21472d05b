import { expect } from 'chai';
import { Keyring } from '../src/crypto.js';

describe('Keyring (AES-256-GCM with key ids)', () => {
  const secret = 'access-token-AAAAbbbbCCCC1234';

  it('when a value is encrypted, then the ciphertext names the key, hides the value and decrypts back', () => {
    const ring = new Keyring(Keyring.generateSpec('k1'));
    const ct = ring.encrypt(secret, 'row-1');
    expect(ct.startsWith('v1.k1.')).to.equal(true);
    expect(ct).not.to.contain(secret);
    expect(ring.decrypt(ct, 'row-1')).to.equal(secret);
  });

  it('when the same value is encrypted twice, then the ciphertexts differ (fresh IV)', () => {
    const ring = new Keyring(Keyring.generateSpec());
    expect(ring.encrypt(secret)).not.to.equal(ring.encrypt(secret));
  });

  it('when the associated data differs or the ciphertext is tampered with, then decryption fails', () => {
    const ring = new Keyring(Keyring.generateSpec());
    const ct = ring.encrypt(secret, 'row-1');
    expect(() => ring.decrypt(ct, 'row-2')).to.throw(/authentication failed/);
    const parts = ct.split('.');
    parts[4] = Buffer.from('x' + Buffer.from(parts[4]!, 'base64url').toString('latin1')).toString('base64url');
    expect(() => ring.decrypt(parts.join('.'), 'row-1')).to.throw(/authentication failed/);
  });

  it('when keys rotate, then old ciphertexts still decrypt and new ones use the new key', () => {
    const old = Keyring.generateSpec('old');
    const ct = new Keyring(old).encrypt(secret);
    const rotated = new Keyring(`${Keyring.generateSpec('new')},${old}`);
    expect(rotated.decrypt(ct)).to.equal(secret);
    expect(rotated.encrypt(secret).split('.')[1]).to.equal('new');
  });

  it('when a key id is unknown or a key is the wrong size, then it says so', () => {
    const ct = new Keyring(Keyring.generateSpec('a')).encrypt(secret);
    expect(() => new Keyring(Keyring.generateSpec('b')).decrypt(ct)).to.throw(/key id "a"/);
    expect(() => new Keyring('k:' + Buffer.alloc(16).toString('base64'))).to.throw(/32 bytes/);
    expect(() => new Keyring('')).to.throw(/at least one key/);
  });
});

import { createHash, createHmac } from 'node:crypto';
import { expect } from 'chai';
import { defaultServiceDatabaseUrl, scramSha256Verifier, serviceDatabaseFromUrl } from '../src/db/index.js';

describe('service roles: names, URLs and the SCRAM verifier', () => {
  it('when a service has no DATABASE_URL, then it connects as its own role on the local server', () => {
    expect(defaultServiceDatabaseUrl('dead_letters')).to.equal('postgres://xauth_dead_letters@127.0.0.1:5432/postgres');
    expect(defaultServiceDatabaseUrl('gateway', 'postgres://postgres:secret@db.internal:6543/xauth')).to.equal(
      'postgres://xauth_gateway@db.internal:6543/xauth',
    );
  });

  it('when a service URL is read, then its user is the role and its (URL-encoded) password the one to set', () => {
    expect(serviceDatabaseFromUrl('postgres://xauth_gateway:p%40ss%2Fword@db:5432/xauth', ['xauth_gateway'])).to.deep.equal({
      role: 'xauth_gateway',
      password: 'p@ss/word',
      schemas: ['xauth_gateway'],
      database: 'xauth',
    });
    expect(serviceDatabaseFromUrl('postgres://xauth_gateway@db/xauth', [])).to.not.have.property('password');
  });

  it("when the verifier of RFC 7677's example is made, then its keys check that exchange's client proof and server signature", () => {
    const verifier = scramSha256Verifier('pencil', Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'), 4096);
    const [, head, keys] = verifier.split('$');
    expect(head).to.equal('4096:W22ZaJ0SNY7soEsUEjb6gQ==');
    const [storedKey, serverKey] = keys!.split(':').map((k) => Buffer.from(k, 'base64'));
    const nonce = 'rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0';
    const authMessage = `n=user,r=rOprNGfwEbeRWgbNEkqO,r=${nonce},s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=${nonce}`;
    expect(createHmac('sha256', serverKey!).update(authMessage).digest('base64')).to.equal('6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    // What the server does with the client's proof: ClientKey = proof XOR HMAC(StoredKey, AuthMessage); SHA-256(ClientKey) must be StoredKey.
    const proof = Buffer.from('dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=', 'base64');
    const signature = createHmac('sha256', storedKey!).update(authMessage).digest();
    const clientKey = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
    expect(createHash('sha256').update(clientKey).digest().equals(storedKey!)).to.equal(true);
  });
});

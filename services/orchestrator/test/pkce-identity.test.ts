import { expect } from 'chai';
import { assertIdentity } from '../src/domain/identity.js';
import { buildAuthorizeUrl, createPkcePair, createState, s256 } from '../src/domain/pkce.js';

describe('PKCE and state', () => {
  it('when the RFC 7636 example verifier is hashed, then it gives the RFC challenge', () => {
    expect(s256('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).to.equal('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('when a pair is created, then the verifier is 43 unreserved chars and the challenge is its S256', () => {
    const p = createPkcePair();
    expect(p.verifier).to.match(/^[A-Za-z0-9_-]{43}$/);
    expect(p.challenge).to.equal(s256(p.verifier));
    expect(createPkcePair().verifier).not.to.equal(p.verifier);
  });

  it("when states are created, then they are unguessable, URL-safe and within X's 500 chars", () => {
    const states = new Set(Array.from({ length: 1000 }, createState));
    expect(states.size).to.equal(1000);
    for (const s of states) expect(s).to.match(/^[A-Za-z0-9_-]{32}$/);
  });

  it('when the authorize URL is built, then it carries every OAuth parameter exactly once', () => {
    const url = new URL(
      buildAuthorizeUrl('http://127.0.0.1:9/i/oauth2/authorize', {
        clientId: 'cid',
        redirectUri: 'http://h/cb',
        scopes: 'users.read offline.access',
        state: 'st',
        challenge: 'ch',
      }),
    );
    expect(Object.fromEntries(url.searchParams)).to.deep.equal({
      response_type: 'code',
      client_id: 'cid',
      redirect_uri: 'http://h/cb',
      scope: 'users.read offline.access',
      state: 'st',
      code_challenge: 'ch',
      code_challenge_method: 'S256',
    });
  });
});

describe('identity check', () => {
  it('when /2/users/me is the account (any case), then it passes', () => {
    expect(() => assertIdentity('xsim_user_007', { id: '1', username: 'XSIM_User_007' })).not.to.throw();
  });
  it('when the profile is signed in to another account, then IDENTITY_MISMATCH', () => {
    expect(() => assertIdentity('xsim_user_007', { id: '2', username: 'xsim_user_008' }))
      .to.throw()
      .with.property('code', 'IDENTITY_MISMATCH');
  });
});

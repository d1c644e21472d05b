import { expect } from 'chai';
import { startXSim, type XSim } from '../src/index.js';
import { authorizeUrl, browserCookies, getPage } from './support/sim-http.helper.js';

describe('x-sim with the interstitial disabled', () => {
  let sim: XSim;
  before(async () => {
    sim = await startXSim({ port: 0, userCount: 3, interstitialMs: 0 });
  });
  after(() => sim.stop());

  it('when a profile has no clearance, then it goes straight to consent', async () => {
    const page = await getPage(authorizeUrl(sim), `auth_token=${sim.state.profileOf('xsim_user_001')!.sessionToken}`);
    expect(page.body).to.contain('data-testid="OAuth_Consent_Button"');
  });

  it('when the user is in the interstitial scenario, then the challenge clears after latencyMs and a clearance passes', async () => {
    sim.state.setScenario('xsim_user_002', 'interstitial', { latencyMs: 700 });
    const session = `auth_token=${sim.state.profileOf('xsim_user_002')!.sessionToken}`;
    const challenge = await getPage(authorizeUrl(sim), session);
    expect(challenge.status).to.equal(403);
    expect(challenge.body).to.contain('}, 700);');
    const page = await getPage(authorizeUrl(sim), await browserCookies(sim, 'xsim_user_002'));
    expect(page.body).to.contain('data-testid="OAuth_Consent_Button"');
  });
});

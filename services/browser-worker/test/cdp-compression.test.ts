import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import { expect } from 'chai';
import { chromium } from 'playwright-core';
import { launchChromium, killChromium, type LaunchedChromium } from '@xauth/shared/chromium';
import { setCdpCompression } from '../src/browser/cdp-compression.js';
import { silentLogger } from './support/pool.fixture.js';

/**
 * A TCP relay in front of Chromium's DevTools port that keeps the first bytes each way: the
 * WebSocket upgrade request Playwright sent and Chromium's answer to it.
 */
async function relayTo(port: number): Promise<{ port: number; request: () => string; answer: () => string; close(): Promise<void> }> {
  let request = '';
  let answer = '';
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port });
    client.on('data', (d: Buffer) => {
      if (!request) request = d.toString('latin1');
    });
    upstream.on('data', (d: Buffer) => {
      if (!answer) answer = d.toString('latin1').split('\r\n\r\n')[0]!;
    });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '0.0.0.0', r));
  return {
    port: (server.address() as AddressInfo).port,
    request: () => request,
    answer: () => answer,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** This host's own non-loopback address, if it has one: a browser there counts as remote. */
const ownAddress = () =>
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('CDP compression (real Chromium over connectOverCDP)', function () {
  this.timeout(60_000);
  let browser: LaunchedChromium;

  before(async () => {
    browser = await launchChromium({ chromiumPath: '/usr/bin/chromium', timeoutMs: 20_000, logger: silentLogger });
  });
  after(async () => {
    setCdpCompression('always');
    await killChromium(browser, 0);
  });

  /** Connects through a relay at `host`, runs one evaluation, and returns what the upgrade said. */
  async function connectVia(host: string): Promise<{ offered: boolean; accepted: boolean }> {
    const relay = await relayTo(Number(new URL(browser.wsUrl).port));
    try {
      const url = new URL(browser.wsUrl);
      url.hostname = host;
      url.port = String(relay.port);
      const cdp = await chromium.connectOverCDP(url.toString(), { timeout: 15_000 });
      try {
        const page = await cdp.contexts()[0]!.newPage();
        expect(await page.evaluate(() => 6 * 7)).to.equal(42);
        await page.close();
      } finally {
        await cdp.close();
      }
      return { offered: /sec-websocket-extensions: permessage-deflate/i.test(relay.request()), accepted: /sec-websocket-extensions/i.test(relay.answer()) };
    } finally {
      await relay.close();
    }
  }

  it("when the browser is on this host, then by default nothing is compressed; Playwright's own behaviour (always) compresses", async () => {
    setCdpCompression('always');
    expect(await connectVia('127.0.0.1')).to.deep.equal({ offered: true, accepted: true });
    setCdpCompression('remote');
    expect(await connectVia('127.0.0.1')).to.deep.equal({ offered: false, accepted: false });
  });

  it('when the browser is elsewhere, then remote keeps the compression and never drops it', async function () {
    const address = ownAddress();
    if (!address) this.skip();
    setCdpCompression('remote');
    expect(await connectVia(address!)).to.deep.equal({ offered: true, accepted: true });
    setCdpCompression('never');
    expect(await connectVia(address!)).to.deep.equal({ offered: false, accepted: false });
  });
});

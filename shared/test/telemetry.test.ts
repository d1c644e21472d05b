import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { RETRY_TIERS_MS } from '@xauth/contracts';
import { deleteTopology } from '../src/bus/topology.js';

const AMQP_URL = 'amqp://guest:guest@127.0.0.1:5672';

describe('tracing across the bus (OpenTelemetry SDK on)', function () {
  this.timeout(30_000);

  it("when OTEL_EXPORTER_OTLP_ENDPOINT is set, then publish, process and HTTP server spans continue the caller's trace and reach the collector", async () => {
    const bodies: string[] = [];
    const collector = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        if (req.url === '/v1/traces') bodies.push(body);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    }).listen(0, '127.0.0.1');
    await new Promise((r) => collector.once('listening', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
    const namespace = `test-${randomBytes(4).toString('hex')}`;
    try {
      const child = new URL('./fixtures/traced-bus.js', import.meta.url).pathname;
      const stdout = await new Promise<string>((resolve, reject) => {
        execFile(process.execPath, [child, endpoint, namespace, AMQP_URL], { timeout: 20_000 }, (err, out, errOut) =>
          err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
        );
      });
      const { producerTrace, consumerTrace, httpTrace } = JSON.parse(stdout) as { producerTrace: string; consumerTrace: string; httpTrace: string };
      expect(producerTrace)
        .to.match(/^[0-9a-f]{32}$/)
        .and.not.match(/^0+$/);
      expect(consumerTrace).to.equal(producerTrace);
      const exported = bodies.join('\n');
      expect(exported).to.contain('user.login.requested publish').and.contain('user.login.requested process');
      expect(exported).to.contain('trace-test');
      expect(exported).to.contain(producerTrace);
      // The server span of GET /health belongs to the caller's trace.
      const spans = bodies
        .flatMap((b) => (JSON.parse(b) as { resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ name: string; traceId: string }> }> }> }).resourceSpans)
        .flatMap((r) => r.scopeSpans)
        .flatMap((s) => s.spans);
      expect(spans.find((s) => s.name === 'GET /health')?.traceId).to.equal(httpTrace);
    } finally {
      collector.close();
      const conn = await amqplib.connect(AMQP_URL);
      await deleteTopology(await conn.createChannel(), namespace, RETRY_TIERS_MS);
      await conn.close();
    }
  });
});

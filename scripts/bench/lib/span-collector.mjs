// A minimal OTLP/HTTP JSON trace receiver for benchmarks: services export their spans here
// (OTEL_EXPORTER_OTLP_ENDPOINT), and the benchmark prints how long each kind of span took.
import { createServer } from 'node:http';
import { median } from './figures.mjs';

export async function startSpanCollector() {
  const spans = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        for (const rs of JSON.parse(Buffer.concat(chunks).toString('utf8')).resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value?.stringValue ?? '?';
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) spans.push({ service, name: s.name, ms: Number(BigInt(s.endTimeUnixNano) - BigInt(s.startTimeUnixNano)) / 1e6 });
          }
        }
      } catch {
        /* not JSON: counted as nothing */
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    /** Per service and span name: how many, and the median duration (ms). */
    summary() {
      const groups = new Map();
      for (const s of spans) {
        const key = `${s.service}: ${s.name}`;
        groups.set(key, [...(groups.get(key) ?? []), s.ms]);
      }
      return [...groups].map(([name, ms]) => ({ name, count: ms.length, medianMs: median(ms) })).sort((a, b) => a.name.localeCompare(b.name));
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

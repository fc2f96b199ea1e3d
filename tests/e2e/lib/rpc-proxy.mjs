// A counting JSON-RPC proxy between the daemon and the node: forwards every request body as is
// and records, per HTTP request (= one round trip to the node), the JSON-RPC methods, the batch
// size and, for eth_call, the 4-byte selector. Used to measure what one session costs on chain.
import http from 'node:http';

const SELECTORS = {
  '0x248ad6a0': 'viewTaskABILegacy', '0xadccf0d5': 'viewTask', '0xb74861b2': 'viewDeal', '0x4f5f44ec': 'viewCategory',
  '0xe1523fb4': 'viewApp', '0x1e143ef7': 'viewDataset', '0x8da5cb5b': 'owner', '0x80f03425': 'assertDatasetDealCompatibility',
};

/** Start on a free loopback port in front of targetUrl. Returns { url, log, reset(), summary(), close() }. */
export async function startRpcProxy(targetUrl) {
  const target = new URL(targetUrl);
  const log = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = { at: Date.now(), calls: describe(body), batch: null };
      entry.batch = entry.calls.batch;
      log.push(entry);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const up = http.request({
        host: target.hostname, port: target.port, path: target.pathname || '/', method: req.method,
        headers: { 'content-type': req.headers['content-type'] || 'application/json', 'content-length': body.length },
      }, (r) => {
        res.writeHead(r.statusCode, { 'content-type': r.headers['content-type'] || 'application/json' });
        r.pipe(res);
        r.on('end', () => { inFlight--; });
      });
      up.on('error', () => { inFlight--; res.writeHead(502).end(); });
      up.end(body);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    log,
    reset() { log.length = 0; maxInFlight = 0; },
    /** { requests (round trips), calls (JSON-RPC calls), batches: [sizes], methods: {name: n}, maxInFlight }. */
    summary() {
      const methods = {};
      for (const e of log) for (const m of e.calls.names) methods[m] = (methods[m] || 0) + 1;
      return {
        requests: log.length,
        calls: log.reduce((n, e) => n + e.calls.names.length, 0),
        batches: log.map((e) => e.batch),
        methods,
        maxInFlight,
      };
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** JSON-RPC body -> { batch: size or 0 for a single call, names: ['eth_call:viewDeal', ...] }. */
function describe(body) {
  let j;
  try { j = JSON.parse(body.toString('utf8')); } catch { return { batch: 0, names: ['<unparsable>'] }; }
  const list = Array.isArray(j) ? j : [j];
  const names = list.map((c) => {
    if (!c || typeof c.method !== 'string') return '<bad>';
    if (c.method !== 'eth_call') return c.method;
    const data = c.params && c.params[0] && (c.params[0].data || c.params[0].input);
    const sel = typeof data === 'string' ? data.slice(0, 10).toLowerCase() : '';
    return `eth_call:${SELECTORS[sel] || sel}`;
  });
  return { batch: Array.isArray(j) ? list.length : 0, names };
}

// Shared skeleton of the provisioner stand-ins: an HTTP or HTTPS server on a loopback port that
// routes one POST path, records every exchange, and can be told to misbehave.
//
// Modes (setMode): 'validate' (default: the handler's answer), '500' (answer 500 after
// recording), '200' (answer 200 after recording: "2xx but not what the client expects"),
// 'hang' (record, then never answer; sockets are destroyed by close()).
import http from 'node:http';
import https from 'node:https';

const MAX_BODY = 4 << 20;

/**
 * opts: name, path (the one route), tls (https.createServer options, or null for plain HTTP),
 * host (default 127.0.0.1), port (default 0 = free), handle(req, body: Buffer) -> { status,
 * headers?, body?, doc?, violations? } (sync), extraRoutes(req, res) -> true when it answered.
 * Returns the server handle: { url, port, received, setMode, mode, accepted(), reset(), close() }.
 */
export async function startServer(opts) {
  const { name, path: route, tls = null, host = '127.0.0.1', port = 0, handle, extraRoutes } = opts;
  const received = [];
  const sockets = new Set();
  let mode = 'validate';

  const onRequest = (req, res) => {
    if (extraRoutes && extraRoutes(req, res)) return;
    const url = new URL(req.url, 'http://x');
    if (url.pathname !== route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`${name}: no route ${url.pathname}\n`);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end(`${name}: POST only\n`);
      return;
    }
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > MAX_BODY) { req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = {
        at: Date.now(), method: req.method, url: req.url, headers: req.headers, raw: body.toString('utf8'),
        peerCertificate: req.socket.getPeerCertificate ? fingerprintOf(req.socket) : null,
        mode,
      };
      received.push(entry);
      let answer;
      try {
        answer = handle(req, body, entry);
      } catch (e) {
        answer = { status: 500, body: `${name}: handler error ${e.message}\n` };
      }
      entry.doc = answer.doc ?? null;
      entry.violations = answer.violations ?? [];
      if (mode === 'hang') { entry.status = null; return; }
      if (mode === '500') answer = { status: 500, body: `${name}: told to fail\n` };
      else if (mode === '200') answer = { status: 200, body: '{}' };
      entry.status = answer.status;
      const payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
      res.writeHead(answer.status, { 'content-type': answer.contentType || 'application/json', ...(answer.headers || {}) });
      res.end(payload);
    });
  };

  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  // TLS handshakes refused by the server (no or untrusted client certificate) are recorded too.
  const refusedHandshakes = [];
  server.on('tlsClientError', (err) => refusedHandshakes.push({ at: Date.now(), code: err.code, message: err.message }));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve(); });
  });
  const actualPort = server.address().port;
  return {
    name,
    port: actualPort,
    url: `${tls ? 'https' : 'http'}://${host}:${actualPort}`,
    received,
    refusedHandshakes,
    setMode(m) {
      if (!['validate', '500', '200', 'hang'].includes(m)) throw new Error(`bad mode ${m}`);
      mode = m;
    },
    get mode() { return mode; },
    /** Documents the server accepted (2xx answered in 'validate' mode). */
    accepted() { return received.filter((e) => e.mode === 'validate' && e.status >= 200 && e.status < 300); },
    reset() { received.length = 0; refusedHandshakes.length = 0; mode = 'validate'; },
    listening() { return server.listening; },
    /** "Down": stop listening (connections are refused) and drop open sockets; resume() re-listens on the same port. */
    async stopListening() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
    async resume() {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(actualPort, host, () => { server.off('error', reject); resolve(); });
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function fingerprintOf(sock) {
  const c = sock.getPeerCertificate();
  return c && c.fingerprint256 ? { subject: c.subject, fingerprint256: c.fingerprint256 } : null;
}

/** obj must be a mapping with exactly `keys`; pushes violations to out; false when obj is no mapping. */
export function exactKeys(obj, keys, where, out) {
  if (!isMap(obj)) { out.push(`${where}: expected a mapping, got ${typeName(obj)}`); return false; }
  const got = Object.keys(obj);
  for (const k of keys) if (!(k in obj)) out.push(`${where}: missing key "${k}"`);
  for (const k of got) if (!keys.includes(k)) out.push(`${where}: unexpected key "${k}"`);
  return true;
}

export function isMap(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v;
}

export function expectEqual(actual, expected, where, out) {
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    out.push(`${where}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

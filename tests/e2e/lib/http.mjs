// Raw HTTP for the checks the SDK cannot make: exact statuses, headers and bytes on the wire.
import http from 'node:http';
import net from 'node:net';

/**
 * One request on a fresh connection. Returns { status, headers (lower-case names), body: Buffer,
 * text, json() , ms }. body: string or Buffer (sent as is, Content-Length set by node).
 */
export function request(baseUrl, method, path, { headers = {}, body, timeoutMs = 15_000 } = {}) {
  const u = new URL(baseUrl);
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: u.hostname, port: u.port, method, path, headers, agent: false, timeout: timeoutMs,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: buf,
          text: buf.toString('utf8'),
          json: () => JSON.parse(buf.toString('utf8')),
          ms: Date.now() - t0,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * Send `text` (a whole HTTP/1.1 request, "Connection: close" advised) on a raw TCP connection
 * and return every byte the server sent until it closed: { head: string, rest: Buffer }.
 * Used to prove that HEAD answers carry no body at all.
 */
export function rawExchange(baseUrl, text, timeoutMs = 10_000) {
  const u = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    const chunks = [];
    const timer = setTimeout(() => { sock.destroy(); reject(new Error('raw exchange: no close within timeout')); }, timeoutMs);
    sock.on('connect', () => sock.write(text));
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const end = all.indexOf('\r\n\r\n');
      if (end < 0) { reject(new Error(`raw exchange: no complete header in ${JSON.stringify(all.toString())}`)); return; }
      resolve({ head: all.subarray(0, end).toString('latin1'), rest: all.subarray(end + 4) });
    });
  });
}

/** Pick a free TCP port on 127.0.0.1 (free when this returns; the caller binds it right away). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

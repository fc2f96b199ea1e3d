// Strict stand-in for the Scone CAS (tee-sessions.md 6): HTTPS with mutual TLS (the client
// certificate must chain to the test client CA, else the handshake fails), POST /session only,
// the body parsed as one YAML document and checked against 6.1/6.2 and the environment rules.
// 201 {"hash"} when valid, 400 {"violations":[...]} otherwise. Also serves, over plain HTTP on
// its own port, GET /.well-known/openid-configuration: the MAA attestation server the SMS probes.
import crypto from 'node:crypto';
import http from 'node:http';
import YAML from 'yaml';
import { startServer, exactKeys, expectEqual, isMap, typeName } from './server.mjs';
import { checkEnvironment, checkAcrossStages } from './env-rules.mjs';

const SESSION_NAME = /^[A-Za-z0-9]{10}0000.+$/;
const FINGERPRINT = /^(0x)?[0-9a-fA-F]{64}$/;
const IMAGE_VOLUMES = {
  'pre-compute': [{ name: 'iexec_in', path: '/iexec_in' }],
  app: [{ name: 'iexec_in', path: '/iexec_in' }, { name: 'iexec_out', path: '/iexec_out' }],
  'post-compute': [{ name: 'iexec_out', path: '/iexec_out' }, { name: 'post-compute-tmp', path: '/post-compute-tmp' }],
};

/**
 * Parse the YAML text strictly: one document, no syntax error, no duplicate key, no alias, and
 * the same tree under YAML 1.2 and 1.1 (so no plain scalar such as 0x.., yes, 012 whose type
 * depends on the parser). Returns { doc, violations }.
 */
export function parseStrictYaml(text) {
  const violations = [];
  const docs = YAML.parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(docs) || docs.length !== 1) return { doc: null, violations: [`expected exactly one YAML document, got ${Array.isArray(docs) ? docs.length : 0}`] };
  const [d] = docs;
  for (const e of d.errors) violations.push(`YAML error: ${e.message.split('\n')[0]}`);
  for (const w of d.warnings) violations.push(`YAML warning: ${w.message.split('\n')[0]}`);
  if (violations.length) return { doc: null, violations };
  let doc;
  let doc11;
  try {
    doc = d.toJS({ maxAliasCount: 0 });
    doc11 = YAML.parse(text, { version: '1.1', uniqueKeys: true, maxAliasCount: 0 });
  } catch (e) {
    return { doc: null, violations: [`YAML: ${e.message.split('\n')[0]}`] };
  }
  if (JSON.stringify(doc) !== JSON.stringify(doc11)) violations.push('YAML: the document reads differently under YAML 1.1 and 1.2 (an unquoted scalar changes type)');
  return { doc, violations };
}

/**
 * Check a parsed session against tee-sessions.md 6.1/6.2. expect (optional): { tolerate,
 * ignore_advisories, mode, url } for the security.attestation block. Returns violations.
 */
export function validateSconeSession(doc, expect = {}) {
  const out = [];
  if (!isMap(doc)) return [`session: expected a mapping, got ${typeName(doc)}`];
  const top = ['name', 'version', 'access_policy', 'services', 'images', 'volumes', 'security'];
  exactKeys(doc, top, 'session', out);
  expectEqual(Object.keys(doc).filter((k) => top.includes(k)), top.filter((k) => k in doc), 'session key order', out);
  if (typeof doc.name !== 'string' || !SESSION_NAME.test(doc.name)) out.push(`name: expected <10 alphanumerics>0000<task id>, got ${JSON.stringify(doc.name)}`);
  expectEqual(doc.version, '0.3.10', 'version', out);
  expectEqual(doc.access_policy, { read: ['CREATOR'], update: ['NONE'] }, 'access_policy', out);
  expectEqual(doc.volumes, [{ name: 'iexec_in' }, { name: 'iexec_out' }, { name: 'post-compute-tmp' }], 'volumes', out);

  const services = Array.isArray(doc.services) ? doc.services : [];
  if (!Array.isArray(doc.services)) out.push(`services: expected a list, got ${typeName(doc.services)}`);
  const names = services.map((s) => (isMap(s) ? s.name : undefined));
  const okNames = [['app', 'post-compute'], ['pre-compute', 'app', 'post-compute']];
  if (!okNames.some((n) => JSON.stringify(n) === JSON.stringify(names))) out.push(`services: expected [pre-compute,] app, post-compute in that order, got ${JSON.stringify(names)}`);
  const envs = {};
  services.forEach((s, i) => {
    const where = `services[${i}]`;
    if (!exactKeys(s, ['name', 'image_name', 'mrenclaves', 'pwd', 'command', 'environment'], where, out)) return;
    if (!(s.name in IMAGE_VOLUMES)) return;
    expectEqual(s.image_name, `${s.name}-image`, `${where}.image_name`, out);
    if (!Array.isArray(s.mrenclaves) || s.mrenclaves.length !== 1 || typeof s.mrenclaves[0] !== 'string' || !FINGERPRINT.test(s.mrenclaves[0])) {
      out.push(`${where}.mrenclaves: expected one 64-hex fingerprint, got ${JSON.stringify(s.mrenclaves)}`);
    }
    expectEqual(s.pwd, '/', `${where}.pwd`, out);
    if (typeof s.command !== 'string' || !s.command.trim()) out.push(`${where}.command: expected a non-empty string, got ${JSON.stringify(s.command)}`);
    checkEnvironment(s.environment, s.name, { javaVars: true }, `${where}(${s.name}).environment`, out);
    envs[s.name] = s.environment;
  });
  checkAcrossStages(envs, 'services', out);

  const images = Array.isArray(doc.images) ? doc.images : [];
  expectEqual(images.map((im) => (isMap(im) ? im.name : undefined)), names.map((n) => `${n}-image`), 'images names', out);
  images.forEach((im, i) => {
    if (!exactKeys(im, ['name', 'volumes'], `images[${i}]`, out)) return;
    const svc = String(im.name).replace(/-image$/, '');
    if (svc in IMAGE_VOLUMES) expectEqual(im.volumes, IMAGE_VOLUMES[svc], `images[${i}].volumes`, out);
  });

  const sec = doc.security;
  if (exactKeys(sec, ['attestation'], 'security', out)) {
    const a = sec.attestation;
    if (exactKeys(a, ['tolerate', 'ignore_advisories', 'mode', 'url'], 'security.attestation', out)) {
      for (const k of ['tolerate', 'ignore_advisories']) {
        if (!Array.isArray(a[k]) || a[k].some((x) => typeof x !== 'string' || !x)) out.push(`security.attestation.${k}: expected a list of strings, got ${JSON.stringify(a[k])}`);
      }
      if (!['maa', 'hardware'].includes(a.mode)) out.push(`security.attestation.mode: expected maa or hardware, got ${JSON.stringify(a.mode)}`);
      if (a.mode === 'maa' && (typeof a.url !== 'string' || !/^https?:\/\//.test(a.url))) out.push(`security.attestation.url: expected a URL in maa mode, got ${JSON.stringify(a.url)}`);
      for (const k of ['tolerate', 'ignore_advisories', 'mode', 'url']) {
        if (k in expect) expectEqual(a[k], expect[k], `security.attestation.${k}`, out);
      }
    }
  }
  return out;
}

/**
 * Start the CAS stand-in. pki: makePki() result. expect: see validateSconeSession.
 * Returns the startServer() handle plus { maaUrl, maaProbes, setMaaUp(bool), clientFingerprint }.
 */
export async function startCas({ pki, expect = {}, port = 0 } = {}) {
  const cas = await startServer({
    name: 'cas',
    path: '/session',
    port,
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.clientCa, requestCert: true, rejectUnauthorized: true },
    handle(req, body) {
      if (!req.socket.authorized) return { status: 401, body: { violations: ['client certificate not authorized'] } };
      const { doc, violations } = parseStrictYaml(body.toString('utf8'));
      if (doc) violations.push(...validateSconeSession(doc, cas.expect));
      if (violations.length) return { status: 400, doc, violations, body: { violations } };
      return { status: 201, doc, body: { hash: crypto.createHash('sha256').update(body).digest('hex') } };
    },
  });
  cas.expect = expect;
  // The attestation server: plain HTTP, its own port.
  const maaProbes = [];
  let maaUp = true;
  const maa = http.createServer((req, res) => {
    maaProbes.push({ at: Date.now(), method: req.method, url: req.url });
    if (maaUp && req.method === 'GET' && req.url === '/.well-known/openid-configuration') {
      const base = `http://127.0.0.1:${maa.address().port}`;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: base, jwks_uri: `${base}/certs` }));
    } else {
      res.writeHead(maaUp ? 404 : 503).end();
    }
  });
  await new Promise((resolve) => maa.listen(0, '127.0.0.1', resolve));
  const closeCas = cas.close;
  return Object.assign(cas, {
    maaUrl: `http://127.0.0.1:${maa.address().port}`,
    maaProbes,
    setMaaUp(v) { maaUp = v; },
    clientFingerprint: pki.clientFingerprint,
    async close() {
      await closeCas();
      maa.closeAllConnections();
      await new Promise((resolve) => maa.close(() => resolve()));
    },
  });
}

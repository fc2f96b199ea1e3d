// Strict stand-in for the TDX session storage (tee-sessions.md 8): HTTPS with the test CA's
// server certificate (and, by default, a client certificate required), POST /session only,
// Content-Type application/json, the JSON checked against 8.2: name, version "0.1.0", services
// [pre-compute,] app, post-compute with image_name, fingerprint, environment (no Java vars).
// 201 when valid, 400 {"violations":[...]} otherwise.
import { startServer, exactKeys, expectEqual, isMap, typeName } from './server.mjs';
import { checkEnvironment, checkAcrossStages } from './env-rules.mjs';

export function validateTdxSession(doc) {
  const out = [];
  if (!exactKeys(doc, ['name', 'version', 'services'], 'session', out)) return out;
  if (typeof doc.name !== 'string' || !/^[A-Za-z0-9]{10}0000.+$/.test(doc.name)) out.push(`name: expected <10 alphanumerics>0000<task id>, got ${JSON.stringify(doc.name)}`);
  expectEqual(doc.version, '0.1.0', 'version', out);
  if (!Array.isArray(doc.services)) return [...out, `services: expected a list, got ${typeName(doc.services)}`];
  const names = doc.services.map((s) => (isMap(s) ? s.name : undefined));
  if (!['app,post-compute', 'pre-compute,app,post-compute'].includes(names.join(','))) out.push(`services: expected [pre-compute,] app, post-compute in that order, got ${JSON.stringify(names)}`);
  const envs = {};
  doc.services.forEach((s, i) => {
    const where = `services[${i}]`;
    if (!exactKeys(s, ['name', 'image_name', 'fingerprint', 'environment'], where, out)) return;
    if (typeof s.image_name !== 'string' || !s.image_name) out.push(`${where}.image_name: expected a non-empty string, got ${JSON.stringify(s.image_name)}`);
    if (typeof s.fingerprint !== 'string' || !s.fingerprint) out.push(`${where}.fingerprint: expected a non-empty string, got ${JSON.stringify(s.fingerprint)}`);
    if (s.name === 'app' && typeof s.fingerprint === 'string' && !/^0x[0-9a-f]{64}$/.test(s.fingerprint)) out.push(`${where}.fingerprint: expected the app checksum 0x + 64 hex, got ${JSON.stringify(s.fingerprint)}`);
    if (['pre-compute', 'app', 'post-compute'].includes(s.name)) {
      checkEnvironment(s.environment, s.name, { javaVars: false }, `${where}(${s.name}).environment`, out);
      envs[s.name] = s.environment;
    }
  });
  checkAcrossStages(envs, 'services', out);
  return out;
}

/** Start the TDX storage stand-in. pki: makePki() result; requireClientCert (default true). */
export async function startTdx({ pki, requireClientCert = true, port = 0 } = {}) {
  const tls = { key: pki.serverKey, cert: pki.serverCert };
  if (requireClientCert) Object.assign(tls, { ca: pki.clientCa, requestCert: true, rejectUnauthorized: true });
  return startServer({
    name: 'tdx',
    path: '/session',
    port,
    tls,
    handle(req, body) {
      if (!/^application\/json\b/i.test(req.headers['content-type'] || '')) return { status: 415, body: { violations: [`Content-Type ${req.headers['content-type']}`] } };
      let doc;
      try { doc = JSON.parse(body.toString('utf8')); } catch (e) { return { status: 400, violations: [`JSON: ${e.message}`], body: { violations: [`JSON: ${e.message}`] } }; }
      const violations = validateTdxSession(doc);
      if (violations.length) return { status: 400, doc, violations, body: { violations } };
      return { status: 201, doc, body: { name: doc.name } };
    },
  });
}

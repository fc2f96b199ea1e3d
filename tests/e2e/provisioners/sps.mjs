// Strict stand-in for the Gramine SPS (tee-sessions.md 7): plain HTTP, POST /api/session only,
// HTTP Basic auth checked (401 otherwise), Content-Type application/json (415 otherwise), the
// JSON checked against 7.1: exactly app + post-compute, command "", volumes [], no Java vars.
// 200 when valid, 400 {"violations":[...]} otherwise.
import { startServer, exactKeys, expectEqual, isMap, typeName } from './server.mjs';
import { checkEnvironment, checkAcrossStages } from './env-rules.mjs';

const FINGERPRINT = /^(0x)?[0-9a-fA-F]{64}$/;

export function validateGramineSession(doc) {
  const out = [];
  if (!exactKeys(doc, ['session', 'enclaves'], 'session', out)) return out;
  if (typeof doc.session !== 'string' || !/^[A-Za-z0-9]{10}0000.+$/.test(doc.session)) out.push(`session: expected <10 alphanumerics>0000<task id>, got ${JSON.stringify(doc.session)}`);
  if (!Array.isArray(doc.enclaves)) return [...out, `enclaves: expected a list, got ${typeName(doc.enclaves)}`];
  expectEqual(doc.enclaves.map((e) => (isMap(e) ? e.name : undefined)), ['app', 'post-compute'], 'enclaves names', out);
  const envs = {};
  doc.enclaves.forEach((e, i) => {
    const where = `enclaves[${i}]`;
    if (!exactKeys(e, ['name', 'mrenclave', 'command', 'environment', 'volumes'], where, out)) return;
    if (typeof e.mrenclave !== 'string' || !FINGERPRINT.test(e.mrenclave)) out.push(`${where}.mrenclave: expected a 64-hex fingerprint, got ${JSON.stringify(e.mrenclave)}`);
    expectEqual(e.command, '', `${where}.command`, out);
    expectEqual(e.volumes, [], `${where}.volumes`, out);
    if (e.name === 'app' || e.name === 'post-compute') {
      checkEnvironment(e.environment, e.name, { javaVars: false }, `${where}(${e.name}).environment`, out);
      envs[e.name] = e.environment;
    }
  });
  checkAcrossStages(envs, 'enclaves', out);
  return out;
}

/** Start the SPS stand-in; login/password are the Basic credentials it demands. */
export async function startSps({ login, password, port = 0 } = {}) {
  const expected = `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`;
  return startServer({
    name: 'sps',
    path: '/api/session',
    port,
    handle(req, body, entry) {
      entry.basicAuthOk = req.headers.authorization === expected;
      if (!entry.basicAuthOk) return { status: 401, headers: { 'www-authenticate': 'Basic realm="sps"' }, body: { violations: ['bad or missing Basic credentials'] } };
      if (!/^application\/json\b/i.test(req.headers['content-type'] || '')) return { status: 415, body: { violations: [`Content-Type ${req.headers['content-type']}`] } };
      let doc;
      try { doc = JSON.parse(body.toString('utf8')); } catch (e) { return { status: 400, violations: [`JSON: ${e.message}`], body: { violations: [`JSON: ${e.message}`] } }; }
      const violations = validateGramineSession(doc);
      if (violations.length) return { status: 400, doc, violations, body: { violations } };
      return { status: 200, doc, body: { session: doc.session } };
    },
  });
}

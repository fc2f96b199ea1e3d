// End-to-end tests of /tee (tee-sessions.md, sms-api.md 6): enclave challenges and sessions for
// Scone, Gramine and TDX deals made on the real local chain (anvil + PoCo 6.1.0), with one
// daemon per framework and strict stand-ins for the CAS, the SPS and the TDX session storage
// (provisioners/). Each daemon reaches the chain through a counting JSON-RPC proxy.
//
//   node --test tee.test.mjs        (run.sh does this)
//
// Env: SMS_BIN, E2E_CHAIN_STATE_DIR, E2E_KEEP (as secrets.test.mjs). The describe blocks run in
// order and share the world; the last one moves the chain clock (a task claimed as FAILED).
import './lib/quiet.mjs';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ethers } from 'ethers';
import { setupChain } from './lib/chain.mjs';
import { request } from './lib/http.mjs';
import { makePki } from './provisioners/certs.mjs';
import { JAVA_VARS } from './provisioners/env-rules.mjs';
import { dealMaker } from './chain/lib/deals.mjs';
import { addressOf } from './chain/lib/accounts.mjs';
import { startTeeStack, SCONE_SETTINGS, PROVISIONER_TIMEOUT_MS } from './lib/tee-stack.mjs';
import { buildWorld, pushSecrets, WORKER2 } from './lib/tee-world.mjs';
import { teeClient, addressOfKey } from './lib/tee-assert.mjs';
import { expectedEnvs, withoutKey } from './lib/tee-expect.mjs';
import { exchange } from './lib/tee.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SMS_BIN = path.resolve(HERE, process.env.SMS_BIN || '../../build/iexec-sms');
const FRAMEWORKS = ['scone', 'gramine', 'tdx'];
const randomAddress = () => ethers.Wallet.createRandom().address;

const sent = []; // every secret value handed to a daemon: none may appear in its log
const challengeKeys = []; // every enclave private key received by a provisioner
const report = { timings: {}, rpc: {} };

describe('iexec-sms /tee end to end (anvil + PoCo 6.1.0, strict CAS / SPS / TDX stand-ins)', { timeout: 230_000 }, () => {
  let chainEnv;
  let chain;
  let dm;
  let pkiDir;
  let pki;
  let world;
  const stacks = {};
  const clients = {};

  before(async () => {
    let t = Date.now();
    chainEnv = await setupChain();
    chain = chainEnv.chain;
    Object.assign(report.timings, chainEnv.timings);
    pkiDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-e2e-pki-'));
    t = Date.now();
    pki = makePki(pkiDir);
    report.timings.pkiMs = Date.now() - t;
    t = Date.now();
    // The daemons start while the world is being built on chain.
    const starting = Promise.all(FRAMEWORKS.map(async (fw) => { stacks[fw] = await startTeeStack(fw, { bin: SMS_BIN, chain, pki }); }));
    dm = dealMaker(chain);
    [, world] = await Promise.all([starting, buildWorld(chain, dm, sent)]);
    Object.assign(report.timings, world.timings, { stacksAndWorldMs: Date.now() - t });
    for (const fw of FRAMEWORKS) {
      clients[fw] = teeClient(stacks[fw]);
      for (const s of stacks[fw].secrets) sent.push(s);
    }
    t = Date.now();
    for (const fw of FRAMEWORKS) {
      const bad = await pushSecrets(world, stacks[fw].sms.url, fw, { useSdk: fw === 'scone', chain });
      assert.deepEqual(bad, [], `${fw}: pushing the secrets failed`);
    }
    report.timings.pushSecretsMs = Date.now() - t;
  }, { timeout: 150_000 });

  after(async () => {
    for (const fw of FRAMEWORKS) {
      if (!stacks[fw]) continue;
      // Test values only: with E2E_KEEP the received documents are kept beside the daemon files.
      if (process.env.E2E_KEEP) fs.writeFileSync(path.join(stacks[fw].dir, 'provisioner-received.json'), JSON.stringify(stacks[fw].provisioner.received, null, 2));
      await stacks[fw].stop().catch(() => {});
    }
    if (dm) dm.close();
    if (chainEnv) await chainEnv.teardown();
    const keep = process.env.E2E_KEEP;
    for (const d of [pkiDir, ...FRAMEWORKS.map((fw) => stacks[fw] && stacks[fw].dir)]) {
      if (!d) continue;
      if (keep) console.error(`e2e: kept ${d}`);
      else fs.rmSync(d, { recursive: true, force: true });
    }
    console.error(`tee e2e timings (ms): ${JSON.stringify(report.timings)}`);
    console.error(`tee e2e JSON-RPC requests per step (requests = round trips to the node): ${JSON.stringify(report.rpc)}`);
  }, { timeout: 60_000 });

  // ---- helpers -------------------------------------------------------------------------------
  const deal = (name) => world.deals[name];
  const task = (name, idx = 0) => ({ taskid: deal(name).tasks[idx].taskid, dealid: deal(name).dealid, idx });
  const props = (fw, p) => request(stacks[fw].sms.url, 'GET', p);

  /** Expected environments of a session of deal `name`, task idx, requested by worker role. */
  function expected(fw, name, idx, workerRole = 'worker') {
    const d = deal(name);
    const s = world.secrets;
    const e = expectedEnvs({
      taskid: d.tasks[idx].taskid, dealid: d.dealid, idx, botSize: d.volume, botFirst: 0, params: d.paramsObject || {},
      callback: d.callback, worker: addressOf(workerRole), dataset: d.datasetInfo,
      appSecret: d.appInfo.address === world.apps[fw === 'scone' ? 'scone' : fw].address ? s.appSecret[fw] : null,
      requesterSecrets: s.requester, resultKey: s.resultKey,
      tokens: { requesterIpfs: s.requesterIpfs, workerIpfs: workerRole === 'worker' ? s.workerIpfs : undefined, proxyUrl: s.proxyUrl, dropbox: s.dropbox },
    });
    if (fw === 'scone') {
      if (e.pre) Object.assign(e.pre, JAVA_VARS);
      Object.assign(e.post, JAVA_VARS);
    }
    return e;
  }

  /** Challenge then session; checks the environments and the signing key. Returns the session. */
  async function fullSession(fw, name, idx = 0, { workerRole = 'worker', challenge } = {}) {
    const c = clients[fw];
    const t = task(name, idx);
    const enclaveChallenge = challenge || await c.issue(t.taskid);
    const s = await c.goodSession({ ...t, worker: workerRole, enclaveChallenge });
    const exp = expected(fw, name, idx, workerRole);
    const env = (st) => (st ? st.environment : null);
    // Gramine never posts pre-compute (5.12).
    assert.deepEqual(s.stages.names, exp.pre && fw !== 'gramine' ? ['pre-compute', 'app', 'post-compute'] : ['app', 'post-compute'], 'stages');
    if (exp.pre && fw !== 'gramine') assert.deepEqual(withoutKey(env(s.stages.pre)), exp.pre, `${name}: pre-compute environment`);
    assert.deepEqual(env(s.stages.app), exp.app, `${name}: app environment`);
    assert.deepEqual(withoutKey(env(s.stages.post)), exp.post, `${name}: post-compute environment`);
    const pk = env(s.stages.post).SIGN_TEE_CHALLENGE_PRIVATE_KEY;
    challengeKeys.push(pk);
    assert.equal(addressOfKey(pk), enclaveChallenge.toLowerCase(), 'SIGN_TEE_CHALLENGE_PRIVATE_KEY must be the key of the issued challenge');
    if (s.stages.pre) assert.equal(env(s.stages.pre).SIGN_TEE_CHALLENGE_PRIVATE_KEY, pk, 'pre and post get the same key');
    return { ...s, enclaveChallenge, key: pk, expected: exp };
  }

  function checkProperties(fw, body, p) {
    const want = {
      teeFramework: fw.toUpperCase(), teeFrameworkVersion: p.version,
      preComputeProperties: { image: p.pre.image, fingerprint: p.pre.fingerprint, entrypoint: p.pre.entrypoint, heapSizeInBytes: p.pre.heapBytes },
      postComputeProperties: { image: p.post.image, fingerprint: p.post.fingerprint, entrypoint: p.post.entrypoint, heapSizeInBytes: p.post.heapBytes },
    };
    if (fw === 'scone') want.lasImage = SCONE_SETTINGS.lasImage;
    assert.deepEqual(body, want);
  }

  for (const fw of FRAMEWORKS) {
    it(`${fw}: /tee/framework and /tee/properties`, async () => {
      const other = fw === 'scone' ? 'gramine' : 'scone';
      const pipes = stacks[fw].pipelines;
      const f = await props(fw, '/tee/framework');
      assert.equal(f.status, 200, f.text);
      assert.match(String(f.headers['content-type']), /application\/json/);
      assert.equal(f.text, `"${fw.toUpperCase()}"`);
      for (const p of pipes) {
        const r = await props(fw, `/tee/properties/${fw.toUpperCase()}/${p.version}`);
        assert.equal(r.status, 200, `${p.version}: ${r.text}`);
        checkProperties(fw, r.json(), p);
      }
      const dep = await props(fw, `/tee/properties/${fw}`);
      assert.equal(dep.status, 200, dep.text);
      checkProperties(fw, dep.json(), pipes[0]);
      assert.equal((await props(fw, `/tee/properties/${fw}/v999`)).status, 404);
      assert.equal((await props(fw, `/tee/properties/${other}/${pipes[0].version}`)).status, 409);
      assert.equal((await props(fw, `/tee/properties/${other}`)).status, 409);
      assert.equal((await props(fw, `/tee/properties/not-a-framework/${pipes[0].version}`)).status, 400);
    });
  }

  // ---- Scone ---------------------------------------------------------------------------------
  describe('scone', () => {
    const fw = 'scone';
    const c = () => clients.scone;
    const rpc = () => stacks.scone.proxy;

    it('challenges: refused for a wrong signer, a malformed signature (no chain read), a missing header, a task not ACTIVE, a non-TEE or other-framework deal', async () => {
      const t = task('S1');
      const empty401 = async (r, what) => {
        assert.equal(r.status, 401, `${what}: ${exchange(r)}`);
        assert.equal(r.text, '', `${what}: 401 has an empty body`);
      };
      await empty401(await c().challenge(t.taskid, 'outsider'), 'outsider');
      for (const bad of ['0x1234', `0x${'00'.repeat(65)}`, 'not-hex', `0x${'ab'.repeat(64)}`]) {
        rpc().reset();
        const r = await request(stacks.scone.sms.url, 'POST', `/tee/challenges/${t.taskid}`, { headers: { Authorization: bad } });
        assert.equal(r.status, 401, `malformed signature ${bad}: ${r.status} ${r.text}`);
        assert.equal(rpc().summary().requests, 0, `malformed signature ${bad}: no chain read expected, got ${JSON.stringify(rpc().summary())}`);
      }
      const nohdr = await request(stacks.scone.sms.url, 'POST', `/tee/challenges/${t.taskid}`);
      assert.equal(nohdr.status, 400, `missing Authorization: ${nohdr.status} ${nohdr.text}`);
      await empty401(await c().challenge(task('S1', 1).taskid), 'task not initialized');
      await empty401(await c().challenge(`0x${crypto.randomBytes(32).toString('hex')}`), 'unknown task');
      await empty401(await c().challenge(task('none').taskid), 'non-TEE deal (tag 0x0)');
      await empty401(await c().challenge(task('G1').taskid), 'Gramine deal on a Scone SMS');
      assert.equal(stacks.scone.provisioner.received.length, 0);
    });

    it('challenges: one address per task, idempotent, also under two concurrent first requests', async () => {
      const t = task('S1');
      const [a, b] = await Promise.all([c().challenge(t.taskid), c().challenge(t.taskid)]);
      assert.equal(a.status, 200, exchange(a));
      assert.equal(b.status, 200, exchange(b));
      assert.equal(a.text, b.text, 'two concurrent first requests must get the same address');
      assert.equal(await c().issue(t.taskid), a.text, 'third request: same address');
      const other = await c().issue(task('S2').taskid);
      assert.notEqual(other, a.text, 'another task gets another key');
    });

    it('S1: dataset + input files + requester secrets + encryption + worker IPFS token: the whole CAS session', async () => {
      const s = await fullSession(fw, 'S1');
      const [v5] = stacks.scone.pipelines;
      const services = s.doc.services;
      assert.deepEqual(services.map((x) => x.mrenclaves), [[v5.pre.fingerprint], [world.enclaves.scone.fingerprint], [v5.post.fingerprint]]);
      assert.deepEqual(services.map((x) => x.command), [v5.pre.entrypoint, `${world.enclaves.scone.entrypoint} ${deal('S1').paramsObject.iexec_args}`, v5.post.entrypoint]);
      assert.deepEqual(s.doc.security.attestation, stacks.scone.provisioner.expect, 'attestation block (the live MAA server, never the dead one)');
      assert.equal(s.entry.peerCertificate.fingerprint256, stacks.scone.provisioner.clientFingerprint, 'the CAS saw the key store certificate');
      assert.equal(s.entry.headers['content-type'], 'application/octet-stream');
      const app = s.stages.app.environment;
      assert.equal(app.IEXEC_REQUESTER_SECRET_1, world.secrets.requester['req-api-key']);
      assert.equal(app.IEXEC_REQUESTER_SECRET_2, world.secrets.requester['req-db-pass']);
      assert.ok(!('IEXEC_REQUESTER_SECRET_3' in app), 'a missing requester secret is skipped');
      assert.equal(s.stages.pre.environment.IEXEC_DATASET_KEY, world.secrets.dsTextKey, 'dataset key pushed with the SDK');
      assert.equal(s.stages.post.environment.SIGN_WORKER_ADDRESS, addressOf('worker'), 'checksummed worker address');
      assert.equal(s.stages.post.environment.RESULT_STORAGE_TOKEN, world.secrets.workerIpfs, "the worker's own IPFS token wins");

      // Another worker without an IPFS token of its own: the requester's token; same enclave key.
      const s2 = await fullSession(fw, 'S1', 0, { workerRole: WORKER2, challenge: s.enclaveChallenge });
      assert.equal(s2.stages.post.environment.RESULT_STORAGE_TOKEN, world.secrets.requesterIpfs);
      assert.equal(s2.key, s.key, 'the challenge key is per task, not per session');
      assert.notEqual(s2.data.sessionId, s.data.sessionId, 'a new session id per call');
    });

    it('S2: pipeline v6 selected by the app enclave version, no dataset (no pre-compute), callback deal', async () => {
      const s = await fullSession(fw, 'S2');
      const v6 = stacks.scone.pipelines[1];
      assert.deepEqual(s.doc.services.map((x) => x.name), ['app', 'post-compute']);
      assert.deepEqual(s.doc.images.map((x) => x.name), ['app-image', 'post-compute-image']);
      assert.deepEqual(s.doc.services.map((x) => x.mrenclaves[0]), [world.enclaves.sconeV6.fingerprint, v6.post.fingerprint]);
      assert.equal(s.doc.services[1].command, v6.post.entrypoint);
      assert.equal(s.stages.post.environment.RESULT_STORAGE_CALLBACK, 'true');
      assert.ok(!('IEXEC_APP_DEVELOPER_SECRET' in s.stages.app.environment), 'this app has no developer secret');
    });

    it('S3: dataset with a binary /ipfs/ multiaddr, Dropbox storage', async () => {
      const s = await fullSession(fw, 'S3');
      assert.equal(s.stages.pre.environment.IEXEC_DATASET_URL, world.datasets.ipfs.url);
      assert.equal(s.stages.post.environment.RESULT_STORAGE_PROVIDER, 'dropbox');
      assert.equal(s.stages.post.environment.RESULT_STORAGE_TOKEN, world.secrets.dropbox);
      const raw = await dm.viewDeal(deal('S3').dealid);
      assert.equal(raw.dataset.pointer, world.datasets.ipfs.address);
    });

    it('S4: params with an unknown key fall back to plain arguments (no secrets, no encryption, provider "")', async () => {
      const s = await fullSession(fw, 'S4');
      assert.equal(s.doc.services[0].command, `${world.enclaves.scone.entrypoint} ${deal('S4').params}`);
      assert.equal(s.stages.post.environment.RESULT_ENCRYPTION, 'false');
      assert.equal(s.stages.post.environment.RESULT_STORAGE_PROVIDER, '');
      assert.equal(s.stages.post.environment.RESULT_STORAGE_PROXY, world.secrets.proxyUrl);
    });

    it('sessions: authorization failures (wrong signers, malformed requests, task not ACTIVE, non-TEE deal, other framework)', async () => {
      const t = task('S1');
      const ch = await c().issue(t.taskid);
      const f = c().fails;
      await f(() => c().session({ ...t, enclaveChallenge: ch, poolSigner: 'outsider' }), 401, 'EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE');
      await f(() => c().session({ ...t, enclaveChallenge: ch, headerSigner: 'outsider' }), 401, 'INVALID_AUTHORIZATION');
      await f(() => c().session({ ...t, enclaveChallenge: ch, mutate: (j) => { j.workerWallet = addressOf('outsider'); } }), 401, 'INVALID_AUTHORIZATION');
      await f(() => c().session({ ...t, enclaveChallenge: ch, mutate: (j) => { delete j.signature; } }), 401, 'INVALID_AUTHORIZATION');
      await f(() => c().session({ ...t, enclaveChallenge: ch, mutate: (j) => { delete j.workerWallet; } }), 401, 'INVALID_AUTHORIZATION');
      // A short pool signature: 12.20 and 2.3 allow either 401 code.
      const short = await f(() => c().session({ ...t, enclaveChallenge: ch, mutate: (j) => { j.signature.value = '0x1234'; } }), 401);
      assert.ok(['INVALID_AUTHORIZATION', 'EXECUTION_NOT_AUTHORIZED_INVALID_SIGNATURE'].includes(short.json().error), exchange(short));
      const req = async (headers, body) => Object.assign(await request(stacks.scone.sms.url, 'POST', '/tee/sessions', { headers, body }), { req: { method: 'POST', path: '/tee/sessions', body } });
      const body = JSON.stringify({ chainTaskId: t.taskid, workerWallet: addressOf('worker'), enclaveChallenge: ch, signature: { value: `0x${'11'.repeat(65)}` } });
      await f(() => req({ 'Content-Type': 'application/json', Authorization: '0xdeadbeef' }, body), 401, 'INVALID_AUTHORIZATION');
      await f(() => req({ 'Content-Type': 'application/json' }, body), 400);
      await f(() => c().session({ ...task('S1', 1), enclaveChallenge: ch }), 401, 'EXECUTION_NOT_AUTHORIZED_GET_CHAIN_TASK_FAILED');
      await f(() => c().session({ ...task('none'), enclaveChallenge: randomAddress() }), 401, 'EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE');
      await f(() => c().session({ ...task('G1'), enclaveChallenge: randomAddress() }), 401, 'EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE');
    });

    it('sessions: unknown or mismatched enclave challenge', async () => {
      const f = c().fails;
      await f(() => c().session({ ...task('S1'), enclaveChallenge: randomAddress() }), 500, 'GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE');
      // The challenge of another task.
      const other = await c().issue(task('S1').taskid);
      await f(() => c().session({ ...task('S3'), enclaveChallenge: other }), 500, 'GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE');
      // A task for which no challenge was ever issued: the session must not create one.
      await f(() => c().session({ ...task('S2', 2), enclaveChallenge: randomAddress() }), 500, 'GET_SIGNATURE_TOKENS_FAILED_EMPTY_TEE_CHALLENGE');
    });

    it('sessions: missing dataset key, unknown pipeline version, app without enclave configuration', async () => {
      const f = c().fails;
      for (const [name, code] of [['noKey', 'PRE_COMPUTE_GET_DATASET_SECRET_FAILED'], ['v999', 'APP_COMPUTE_INVALID_ENCLAVE_CONFIG'], ['noEnclave', 'APP_COMPUTE_NO_ENCLAVE_CONFIG']]) {
        const ch = await c().issue(task(name).taskid);
        await f(() => c().session({ ...task(name), enclaveChallenge: ch }), 500, code);
      }
    });

    it('JSON-RPC round trips: a second session of a deal costs at most 2 requests to the node', async () => {
      const p = rpc();
      const count = async (what, fn) => {
        p.reset();
        const out = await fn();
        report.rpc[what] = p.summary();
        return out;
      };
      // Deal R, its app and its dataset were never read by the daemon: the first challenge reads
      // the task and the deal, the first session the task again (fresh) plus the app and dataset.
      const t0 = task('R', 0);
      const t1 = task('R', 1);
      const ch0 = await count('challenge, new deal', () => c().issue(t0.taskid));
      await count('session 1 of task 0', () => c().goodSession({ ...t0, enclaveChallenge: ch0 }));
      await count('session 2 of task 0', () => c().goodSession({ ...t0, enclaveChallenge: ch0 }));
      const ch1 = await count('challenge, task 1 of a known deal', () => c().issue(t1.taskid));
      await count('session 1 of task 1', () => c().goodSession({ ...t1, enclaveChallenge: ch1 }));
      const r = report.rpc;
      assert.ok(r['challenge, new deal'].requests >= 2, `a new deal is read from the chain: ${JSON.stringify(r)}`);
      assert.ok(r['session 1 of task 0'].requests >= 1, `the task status is read fresh: ${JSON.stringify(r)}`);
      for (const k of ['session 2 of task 0', 'session 1 of task 1', 'challenge, task 1 of a known deal']) {
        assert.ok(r[k].requests <= 2, `${k}: at most 2 round trips once the immutable objects are cached: ${JSON.stringify(r[k])}`);
      }
    });

    it('CAS failures: 500, 200 instead of 201, hanging, down: SECURE_SESSION_STORAGE_CALL_FAILED within the timeout, then it works again', async () => {
      const cas = stacks.scone.provisioner;
      const t = task('S2');
      const ch = await c().issue(t.taskid);
      // S2 task 3 gets its challenge now: it is claimed as FAILED at the end.
      await c().issue(task('S2', 3).taskid);
      try {
        for (const mode of ['500', '200', 'hang']) {
          cas.setMode(mode);
          const t0 = Date.now();
          await c().fails(() => c().session({ ...t, enclaveChallenge: ch }), 500, 'SECURE_SESSION_STORAGE_CALL_FAILED', { reached: true });
          const ms = Date.now() - t0;
          report.timings[`cas ${mode} answer`] = ms;
          assert.ok(ms < PROVISIONER_TIMEOUT_MS + 3000, `${mode}: answered after ${ms} ms (timeout ${PROVISIONER_TIMEOUT_MS} ms)`);
        }
        cas.setMode('validate');
        await cas.stopListening();
        const t0 = Date.now();
        await c().fails(() => c().session({ ...t, enclaveChallenge: ch }), 500, 'SECURE_SESSION_STORAGE_CALL_FAILED');
        report.timings['cas down answer'] = Date.now() - t0;
      } finally {
        cas.setMode('validate');
        if (!cas.listening()) await cas.resume();
      }
      await c().goodSession({ ...t, enclaveChallenge: ch });
    });
  });

  // ---- Gramine -------------------------------------------------------------------------------
  describe('gramine', () => {
    const fw = 'gramine';
    const c = () => clients.gramine;

    it('G1: app + post-compute posted to the SPS with Basic auth; requester secret, encryption key', async () => {
      const s = await fullSession(fw, 'G1');
      assert.equal(s.entry.basicAuthOk, true);
      assert.deepEqual(s.doc.enclaves.map((e) => e.mrenclave), [world.enclaves.gramine.fingerprint, stacks.gramine.pipelines[0].post.fingerprint]);
      assert.equal(s.stages.app.environment.IEXEC_REQUESTER_SECRET_1, world.secrets.requester['req-db-pass']);
      assert.equal(s.stages.app.environment.IEXEC_APP_DEVELOPER_SECRET, world.secrets.appSecret.gramine);
      assert.equal(s.stages.post.environment.RESULT_ENCRYPTION_PUBLIC_KEY, world.secrets.resultKey);
    });

    it('G2: a dataset and input files, still no pre-compute enclave (7.1)', async () => {
      const s = await fullSession(fw, 'G2');
      assert.equal(s.doc.enclaves.length, 2);
      assert.equal(s.stages.app.environment.IEXEC_DATASET_ADDRESS, world.datasets.text.address.toLowerCase());
    });

    it('G3: missing dataset key still fails (pre-compute tokens are computed); Scone deal refused', async () => {
      const ch = await c().issue(task('G3').taskid);
      await c().fails(() => c().session({ ...task('G3'), enclaveChallenge: ch }), 500, 'PRE_COMPUTE_GET_DATASET_SECRET_FAILED');
      const r = await c().challenge(task('S1').taskid);
      assert.equal(r.status, 401, exchange(r));
      await c().fails(() => c().session({ ...task('S1'), enclaveChallenge: randomAddress() }), 401, 'EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE');
    });

    it('SPS failures: down, 500: SECURE_SESSION_STORAGE_CALL_FAILED', async () => {
      const sps = stacks.gramine.provisioner;
      const t = task('G1');
      const ch = await c().issue(t.taskid);
      try {
        sps.setMode('500');
        await c().fails(() => c().session({ ...t, enclaveChallenge: ch }), 500, 'SECURE_SESSION_STORAGE_CALL_FAILED', { reached: true });
        sps.setMode('validate');
        await sps.stopListening();
        await c().fails(() => c().session({ ...t, enclaveChallenge: ch }), 500, 'SECURE_SESSION_STORAGE_CALL_FAILED');
      } finally {
        sps.setMode('validate');
        if (!sps.listening()) await sps.resume();
      }
      await c().goodSession({ ...t, enclaveChallenge: ch });
    });
  });

  // ---- TDX -----------------------------------------------------------------------------------
  describe('tdx', () => {
    const fw = 'tdx';
    const c = () => clients.tdx;

    it('T1: pre-compute, app image and checksum, post-compute posted to the storage over TLS', async () => {
      const s = await fullSession(fw, 'T1');
      const [p] = stacks.tdx.pipelines;
      const app = world.apps.tdx;
      assert.deepEqual(s.doc.services.map((x) => [x.name, x.image_name, x.fingerprint]), [
        ['pre-compute', p.pre.image, p.pre.fingerprint],
        ['app', app.multiaddr, app.checksum.toLowerCase()],
        ['post-compute', p.post.image, p.post.fingerprint],
      ]);
      assert.equal(s.entry.peerCertificate.fingerprint256, pki.clientFingerprint, 'the storage saw the key store certificate');
      assert.equal(s.stages.app.environment.IEXEC_REQUESTER_SECRET_2, world.secrets.requester['req-api-key']);
    });

    it('T2: no dataset, callback', async () => {
      const s = await fullSession(fw, 'T2');
      assert.equal(s.stages.post.environment.RESULT_STORAGE_CALLBACK, 'true');
    });

    it('storage failures (hanging, 500) and a Scone deal refused', async () => {
      const st = stacks.tdx.provisioner;
      const t = task('T2');
      const ch = await c().issue(t.taskid);
      try {
        for (const mode of ['hang', '500']) {
          st.setMode(mode);
          const t0 = Date.now();
          await c().fails(() => c().session({ ...t, enclaveChallenge: ch }), 500, 'SECURE_SESSION_STORAGE_CALL_FAILED', { reached: true });
          const ms = Date.now() - t0;
          report.timings[`tdx ${mode} answer`] = ms;
          assert.ok(ms < PROVISIONER_TIMEOUT_MS + 3000, `${mode}: answered after ${ms} ms`);
        }
      } finally {
        st.setMode('validate');
      }
      await c().fails(() => c().session({ ...task('S1'), enclaveChallenge: randomAddress() }), 401, 'EXECUTION_NOT_AUTHORIZED_NO_MATCH_ONCHAIN_TYPE');
    });
  });

  // ---- last: the chain clock moves ----------------------------------------------------------
  describe('task no longer ACTIVE (claimed after its final deadline)', () => {
    it('challenge 401, session EXECUTION_NOT_AUTHORIZED_TASK_NOT_ACTIVE', async (ctx) => {
      if (!chainEnv.owned) { ctx.skip('shared chain (E2E_CHAIN_STATE_DIR): its clock is not moved'); return; }
      const t = task('S2', 3);
      const c = clients.scone;
      const ch = await c.issue(t.taskid); // issued while ACTIVE (idempotent)
      const after = await dm.failTask(t.taskid);
      assert.equal(after.status, 'FAILED');
      const r = await c.challenge(t.taskid);
      assert.equal(r.status, 401, exchange(r));
      await c.fails(() => c.session({ ...t, enclaveChallenge: ch }), 401, 'EXECUTION_NOT_AUTHORIZED_TASK_NOT_ACTIVE');
    });
  });

  // ---- privacy: the daemons' logs and databases ----------------------------------------------
  describe('privacy', () => {
    it('no secret value, configuration secret or enclave private key in any daemon log; keys encrypted at rest', async () => {
      for (const fw of FRAMEWORKS) await stacks[fw].sms.stop();
      assert.ok(challengeKeys.length >= 8, `${challengeKeys.length} enclave keys collected`);
      const needles = [
        ...sent.map(({ label, value }) => ({ label, value })),
        ...challengeKeys.flatMap((k, i) => [
          { label: `enclave key ${i}`, value: k.slice(2).toLowerCase() },
          { label: `enclave key ${i} (upper case)`, value: k.slice(2).toUpperCase() },
        ]),
      ];
      const leaks = [];
      for (const fw of FRAMEWORKS) {
        const dir = stacks[fw].dir;
        const log = fs.readFileSync(path.join(dir, 'sms.log'), 'utf8');
        assert.ok(log.split('\n').length > 5, `${fw}: the daemon logged something`);
        for (const { label, value } of needles) if (log.includes(value)) leaks.push(`${fw} log: ${label}`);
        for (const f of fs.readdirSync(dir).filter((n) => n.startsWith('sms.sqlite'))) {
          const bytes = fs.readFileSync(path.join(dir, f));
          for (const k of challengeKeys) {
            const raw = Buffer.from(k.slice(2), 'hex');
            if (bytes.includes(k.slice(2).toLowerCase()) || bytes.includes(raw)) leaks.push(`${fw} ${f}: enclave key in clear`);
          }
        }
      }
      assert.deepEqual(leaks, [], `${needles.length} values checked`);
    });
  });
});

// End-to-end tests of the secret endpoints of iexec-sms, against a real local chain (anvil +
// PoCo 6.1.0 from npm, deployed by chain/lib/poco.mjs) and driven by the real iExec SDK 9.0.1.
//
//   node --test secrets.test.mjs        (run.sh does this, with the install and a global timeout)
//
// Env: SMS_BIN (default ../../build/iexec-sms from this directory), E2E_CHAIN_STATE_DIR (reuse a
// running chain described by chain.env + deployment.json instead of starting one),
// E2E_KEEP=1 (keep the temporary directories: database, key, daemon log, chain state).
//
// The tests of one describe() run in order and share state: assets, pushed values, counters.
import './lib/quiet.mjs';
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupChain } from './lib/chain.mjs';
import { startDaemon } from './lib/daemon.mjs';
import { request, rawExchange, freePort } from './lib/http.mjs';
import { challenges, sign } from './lib/sign.mjs';
import { createApp, createDataset } from './chain/lib/fixtures.mjs';
import { sdkFor } from './chain/lib/sdk.mjs';
import { addressOf, keyOf } from './chain/lib/accounts.mjs';
import { startAnvil, stopAnvil, pauseAnvil, resumeAnvil, chainInfo } from './chain/lib/anvil.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SMS_BIN = path.resolve(HERE, process.env.SMS_BIN || '../../build/iexec-sms');
const MAX = 4096; // sms-api.md 4: value limit in UTF-8 bytes
const RESULT_KEY_NAME = 'iexec-result-encryption-public-key';
const DROPBOX_NAME = 'iexec-result-dropbox-token';

// Every value ever sent to the daemon (accepted or not) goes here: none may show up in the
// database files or the daemon's log (checked at the end).
const sentValues = [];
/** A fresh random secret value: 32 base64url characters, unique enough to be searched for. */
function secret(label) {
  const v = crypto.randomBytes(24).toString('base64url');
  sentValues.push({ label, value: v });
  return v;
}
function remember(label, value) {
  sentValues.push({ label, value });
  return value;
}
/** An ASCII value of exactly n bytes that starts with a random, searchable part. */
function sizedSecret(label, n) {
  const head = crypto.randomBytes(24).toString('base64url');
  return remember(label, head + crypto.randomBytes(n).toString('base64url').slice(0, n - head.length));
}

const requester = addressOf('requester');

describe('iexec-sms secrets end to end (anvil + PoCo 6.1.0 + iexec SDK 9.0.1)', { timeout: 170_000 }, () => {
  let chainEnv; // from setupChain()
  let chain; // { rpcUrl, hub, chainId }
  let workDir; // database, key file, daemon log
  let port;
  let sms; // startDaemon() handle
  let smsURL;
  const sdkCache = new Map();
  const sdk = (role) => {
    const k = `${role}|${smsURL}`;
    if (!sdkCache.has(k)) sdkCache.set(k, sdkFor(chain, role, smsURL));
    return sdkCache.get(k);
  };
  // Assets and what was pushed on them, filled by the tests below.
  const assets = {};
  const requesterKeys = []; // requester secret keys that exist
  // Inserts since the current daemon process started, per /metrics type.
  let added = { web2: 0, web3: 0, compute: 0 };
  const timings = {};
  let liveDbSnapshot = [];

  before(async () => {
    let t = Date.now();
    chainEnv = await setupChain();
    chain = chainEnv.chain;
    Object.assign(timings, chainEnv.timings);
    t = Date.now();
    assets.appA = await createApp(chain); // main app secret tests
    assets.appPause = await createApp(chain); // node paused (SIGSTOP) then resumed
    assets.appDown = await createApp(chain); // node stopped then restarted
    assets.dataset = await createDataset(chain);
    timings.fixturesMs = Date.now() - t;
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-e2e-daemon-'));
    port = await freePort();
    t = Date.now();
    sms = await startDaemon({ bin: SMS_BIN, dir: workDir, port, rpcUrl: chain.rpcUrl, hub: chain.hub, chainId: chain.chainId });
    timings.daemonStartMs = Date.now() - t;
    smsURL = sms.url;
  }, { timeout: 120_000 });

  after(async () => {
    if (sms) await sms.stop();
    if (chainEnv) await chainEnv.teardown();
    if (workDir) {
      if (process.env.E2E_KEEP) console.error(`e2e: daemon files kept in ${workDir}`);
      else fs.rmSync(workDir, { recursive: true, force: true });
    }
    console.error(`e2e timings (ms): ${JSON.stringify(timings)}`);
  }, { timeout: 60_000 });

  // ---- helpers bound to the running daemon ---------------------------------------------
  const req = (method, p, opts) => request(smsURL, method, p, opts);
  const web2Path = (owner, name) => `/secrets/web2?ownerAddress=${owner}&secretName=${encodeURIComponent(name)}`;
  const web3Path = (address) => `/secrets/web3?secretAddress=${address}`;
  const auth = async (role, challenge) => ({ Authorization: await sign(keyOf(role), challenge), 'Content-Type': 'text/plain' });
  const postWeb2 = async (role, owner, name, value, method = 'POST') => req(method, web2Path(owner, name), {
    headers: await auth(role, challenges.web2(owner, name, value)), body: value,
  });
  const postWeb3 = async (role, address, value) => req('POST', web3Path(address), {
    headers: await auth(role, challenges.web3(address, value)), body: value,
  });
  const postApp = async (role, app, value) => req('POST', `/apps/${app}/secrets`, {
    headers: await auth(role, challenges.app(app, value)), body: value,
  });
  const postRequester = async (role, addr, key, value) => req('POST', `/requesters/${addr}/secrets/${key}`, {
    headers: await auth(role, challenges.requester(addr, key, value)), body: value,
  });
  const show = (r) => `${r.status} ${JSON.stringify(r.headers)} ${r.text}`;
  const assertErrorList = (r, status, message) => {
    assert.equal(r.status, status, show(r));
    assert.match(String(r.headers['content-type']), /application\/json/, show(r));
    assert.deepEqual(r.json(), { error: [message] }, show(r));
  };
  const assertSpringError = (r, status, p) => {
    assert.equal(r.status, status, show(r));
    const j = r.json();
    assert.equal(j.status, status, show(r));
    assert.equal(typeof j.error, 'string', show(r));
    assert.equal(typeof j.timestamp, 'string', show(r));
    if (p) assert.equal(j.path, p, show(r));
  };
  const metrics = async () => {
    const r = await req('GET', '/metrics');
    assert.equal(r.status, 200, show(r));
    return r.json().secretsMetrics;
  };

  // ---- service endpoints ------------------------------------------------------------------
  it('health, version, metrics and prometheus answer as the spec says', async () => {
    const h = await req('GET', '/actuator/health');
    assert.equal(h.status, 200, show(h));
    assert.deepEqual(h.json(), { status: 'UP' });

    const v = await req('GET', '/version');
    assert.equal(v.status, 200, show(v));
    assert.match(String(v.headers['content-type']), /^text\/plain/, show(v));
    assert.match(v.text, /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, `version body ${JSON.stringify(v.text)}`);

    const m = await metrics();
    assert.deepEqual(Object.keys(m).sort(), ['Ethereum Credentials', 'TEE challenges', 'compute', 'web2', 'web3']);
    for (const [type, e] of Object.entries(m)) {
      assert.equal(e.secretsType, type);
      for (const f of ['initialCount', 'storedCount', 'addedSinceStartCount', 'cachedSecretsCount']) {
        assert.ok(Number.isInteger(e[f]), `${type}.${f} = ${e[f]}`);
      }
      assert.equal(e.initialCount, 0, `${type}: fresh database`);
      assert.equal(e.addedSinceStartCount, 0, `${type}: nothing added yet`);
    }

    const p = await req('GET', '/actuator/prometheus');
    assert.equal(p.status, 200, show(p));
    assert.match(p.text, /^iexec_sms_secrets_web2_stored(\{[^}]*\})? /m);
  });

  it('routing: 404 unknown path, 405 with Allow, no trailing-slash tolerance', async () => {
    const u = await req('GET', '/no-such-endpoint');
    assertSpringError(u, 404, '/no-such-endpoint');

    const m = await req('GET', web2Path(requester, 'x'));
    assert.equal(m.status, 405, show(m));
    const allow = String(m.headers.allow || '').split(',').map((s) => s.trim()).filter(Boolean);
    for (const meth of ['HEAD', 'POST', 'PUT']) assert.ok(allow.includes(meth), `Allow: ${m.headers.allow}`);
    assert.ok(!allow.includes('GET'), `Allow: ${m.headers.allow}`);

    assert.equal((await req('GET', '/version/')).status, 404);
    assert.equal((await req('GET', '/actuator/health/')).status, 404);
    assert.equal((await req('HEAD', `/secrets/web2/?ownerAddress=${requester}&secretName=x`)).status, 404);
    assert.equal((await req('HEAD', `/apps/${assets.appA.address}/secrets/`)).status, 404);
  });

  it('CORS: preflight answered on the secret endpoints only', async () => {
    const pre = { Origin: 'http://dapp.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type' };
    for (const p of [web2Path(requester, 'x'), `/apps/${assets.appA.address}/secrets`, `/requesters/${requester}/secrets/k`]) {
      const r = await req('OPTIONS', p, { headers: pre });
      assert.equal(r.status, 200, `${p}: ${show(r)}`);
      assert.equal(r.headers['access-control-allow-origin'], '*', `${p}: ${show(r)}`);
      assert.equal(r.headers['access-control-max-age'], '1800', `${p}: ${show(r)}`);
      assert.match(String(r.headers['access-control-allow-methods']), /POST/, `${p}: ${show(r)}`);
      assert.match(String(r.headers['access-control-allow-headers']).toLowerCase(), /authorization/, `${p}: ${show(r)}`);
    }
    // An actual cross-origin request on a secret endpoint carries the header too.
    const head = await req('HEAD', web2Path(requester, 'x'), { headers: { Origin: 'http://dapp.example' } });
    assert.equal(head.headers['access-control-allow-origin'], '*', show(head));
    // /version has no CORS configuration at all.
    const v = await req('OPTIONS', '/version', { headers: { ...pre, 'Access-Control-Request-Method': 'GET' } });
    assert.equal(v.headers['access-control-allow-origin'], undefined, show(v));
    const g = await req('GET', '/version', { headers: { Origin: 'http://dapp.example' } });
    assert.equal(g.status, 200);
    assert.equal(g.headers['access-control-allow-origin'], undefined, show(g));
  });

  it('HEAD answers carry no body bytes', async () => {
    const cases = [
      [`/apps/${assets.appA.address}/secrets`, 404],
      [`/requesters/${requester}/secrets/bad.key`, 400],
      ['/actuator/health', 200],
      [web3Path(assets.dataset.address), 404],
    ];
    for (const [p, status] of cases) {
      const r = await rawExchange(smsURL, `HEAD ${p} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`);
      assert.match(r.head, new RegExp(`^HTTP/1\\.1 ${status}\\b`), `HEAD ${p}: ${r.head}`);
      assert.equal(r.rest.length, 0, `HEAD ${p} sent ${r.rest.length} body bytes: ${JSON.stringify(r.rest.toString())}`);
    }
  });

  // ---- the five kinds of secrets through the SDK ------------------------------------------
  it('app secret: owner pushes, non-owner 401, duplicate 409, oversized 413', async () => {
    const app = assets.appA.address;
    assert.equal(await sdk('outsider').app.checkAppSecretExists(app), false);

    const evil = secret('app secret by non-owner');
    await assert.rejects(sdk('outsider').app.pushAppSecret(app, evil), /is not allowed to set secret/);
    const raw401 = await postApp('outsider', app, evil);
    assertErrorList(raw401, 401, 'Invalid authorization');
    assert.equal(await sdk('outsider').app.checkAppSecretExists(app), false, 'a refused push stored nothing');

    const big = sizedSecret('oversized app secret', MAX + 1);
    await assert.rejects(sdk('appOwner').app.pushAppSecret(app, big), /413/);
    assertErrorList(await postApp('appOwner', app, big), 413, 'Secret size should not exceed 4 Kb');

    const value = secret('app secret');
    assets.appA.secret = value;
    assert.equal(await sdk('appOwner').app.pushAppSecret(app, value), true);
    added.compute += 1;
    assert.equal(await sdk('outsider').app.checkAppSecretExists(app), true);

    const again = secret('app secret duplicate');
    await assert.rejects(sdk('appOwner').app.pushAppSecret(app, again), /already exists/);
    assertErrorList(await postApp('appOwner', app, again), 409, 'Secret already exists');
    // The path address is case-insensitive (lower-cased by the server).
    assert.equal((await req('HEAD', `/apps/${app.toLowerCase()}/secrets`)).status, 204);
  });

  it('dataset secret (web3): owner pushes, non-owner 401, duplicate 409, oversized 413', async () => {
    const ds = assets.dataset.address;
    assert.equal(await sdk('outsider').dataset.checkDatasetSecretExists(ds), false);

    const evil = secret('dataset secret by non-owner');
    await assert.rejects(sdk('outsider').dataset.pushDatasetSecret(ds, evil), /is not allowed to set secret/);
    const raw401 = await postWeb3('outsider', ds, evil);
    assert.equal(raw401.status, 401, show(raw401));
    assert.equal(raw401.body.length, 0, `web3 errors have an empty body: ${show(raw401)}`);

    const big = sizedSecret('oversized dataset secret', MAX + 1);
    await assert.rejects(sdk('datasetOwner').dataset.pushDatasetSecret(ds, big), /413/);
    assert.equal((await postWeb3('datasetOwner', ds, big)).status, 413);

    const key = remember('dataset key', sdk('datasetOwner').dataset.generateEncryptionKey());
    assets.dataset.secret = key;
    assert.equal(await sdk('datasetOwner').dataset.pushDatasetSecret(ds, key), true);
    added.web3 += 1;
    assert.equal(await sdk('outsider').dataset.checkDatasetSecretExists(ds), true);

    await assert.rejects(sdk('datasetOwner').dataset.pushDatasetSecret(ds, secret('dataset dup')), /already exists/);
    const dup = await postWeb3('datasetOwner', ds, secret('dataset dup raw'));
    assert.equal(dup.status, 409, show(dup));
    assert.equal((await req('HEAD', web3Path(ds.toLowerCase()))).status, 204);
  });

  it('requester secrets: push several, check, duplicate 409, oversized 400, bad key 400', async () => {
    const keys = ['e2e-secret-1', 'E2E_Secret_2', 'k'];
    for (const k of keys) assert.equal(await sdk('outsider').secrets.checkRequesterSecretExists(requester, k), false);
    for (const k of keys) {
      assert.deepEqual(await sdk('requester').secrets.pushRequesterSecret(k, secret(`requester secret ${k}`)), { isPushed: true });
      added.compute += 1;
      requesterKeys.push(k);
    }
    for (const k of keys) assert.equal(await sdk('outsider').secrets.checkRequesterSecretExists(requester, k), true);
    // Keys are case-sensitive.
    assert.equal((await req('HEAD', `/requesters/${requester}/secrets/e2e_secret_2`)).status, 404);

    // Exactly 4096 bytes is accepted, one more is refused with 400 (not 413) for requester secrets.
    assert.deepEqual(await sdk('requester').secrets.pushRequesterSecret('max-size', sizedSecret('requester 4096 bytes', MAX)), { isPushed: true });
    added.compute += 1;
    requesterKeys.push('max-size');
    await assert.rejects(sdk('requester').secrets.pushRequesterSecret('too-big', sizedSecret('requester 4097 bytes', MAX + 1)), /400/);
    assertErrorList(await postRequester('requester', requester, 'too-big-raw', sizedSecret('requester 4097 bytes raw', MAX + 1)),
      400, 'Secret size should not exceed 4 Kb');
    assert.equal((await req('HEAD', `/requesters/${requester}/secrets/too-big`)).status, 404);

    // The SDK refuses a second push itself (HEAD 204 first); the server answers 409 to a raw one.
    assertErrorList(await postRequester('requester', requester, keys[0], secret('requester dup')), 409, 'Secret already exists');
    // Signed by someone else than the requester.
    assertErrorList(await postRequester('outsider', requester, 'stolen', secret('requester by outsider')), 401, 'Invalid authorization');
    // Key outside ^[0-9A-Za-z_-]{1,64}$.
    const badKey = 'bad.key';
    assertErrorList(await postRequester('requester', requester, badKey, secret('requester bad key')), 400,
      'Secret key should contain at most 64 characters from [0-9A-Za-z-_]');
    assert.equal((await req('HEAD', `/requesters/${requester}/secrets/${'a'.repeat(65)}`)).status, 400);
  });

  it('result encryption key (web2): push, check, forceUpdate uses PUT', async () => {
    const { publicKey } = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    remember('result key (base64 PEM body)', Buffer.from(publicKey).toString('base64'));
    assert.equal(await sdk('outsider').result.checkResultEncryptionKeyExists(requester), false);
    assert.deepEqual(await sdk('requester').result.pushResultEncryptionKey(publicKey), { isPushed: true, isUpdated: false });
    added.web2 += 1;
    assert.equal(await sdk('outsider').result.checkResultEncryptionKeyExists(requester), true);

    const second = crypto.generateKeyPairSync('rsa', {
      modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }).publicKey;
    remember('result key 2 (base64 PEM body)', Buffer.from(second).toString('base64'));
    assert.deepEqual(await sdk('requester').result.pushResultEncryptionKey(second, { forceUpdate: true }), { isPushed: true, isUpdated: true });

    // Raw POST of an existing web2 secret: 409, empty body.
    const dup = await postWeb2('requester', requester, RESULT_KEY_NAME, secret('result key dup'));
    assert.equal(dup.status, 409, show(dup));
    assert.equal(dup.body.length, 0, show(dup));
    // Web2 names are case-insensitive, owner addresses too.
    assert.equal((await req('HEAD', web2Path(requester.toLowerCase(), RESULT_KEY_NAME.toUpperCase()))).status, 204);
  });

  it('dropbox storage token (web2): POST, then PUT with forceUpdate', async () => {
    assert.equal(await sdk('outsider').storage.checkStorageTokenExists(requester, 'dropbox'), false);
    assert.deepEqual(await sdk('requester').storage.pushStorageToken(secret('dropbox token'), 'dropbox'), { isPushed: true, isUpdated: false });
    added.web2 += 1;
    assert.equal(await sdk('outsider').storage.checkStorageTokenExists(requester, 'dropbox'), true);
    const t2 = secret('dropbox token 2');
    assets.dropboxToken = t2;
    assert.deepEqual(await sdk('requester').storage.pushStorageToken(t2, 'dropbox', { forceUpdate: true }), { isPushed: true, isUpdated: true });
    // PUT with the value already stored: still 204.
    const same = await postWeb2('requester', requester, DROPBOX_NAME, t2, 'PUT');
    assert.equal(same.status, 204, show(same));
    // PUT of a secret that does not exist: 404.
    const missing = await postWeb2('requester', requester, 'never-pushed', secret('put missing'), 'PUT');
    assert.equal(missing.status, 404, show(missing));
    // Oversized web2 value: 413, through the SDK and raw; the limit counts UTF-8 bytes, not characters.
    await assert.rejects(sdk('requester').storage.pushStorageToken(sizedSecret('dropbox oversized', MAX + 1), 'dropbox', { forceUpdate: true }), /413/);
    const rnd = crypto.randomBytes(18).toString('base64url'); // 24 ASCII bytes
    const fits = remember('web2 4096 bytes of é', rnd + 'é'.repeat((MAX - 24) / 2));
    assert.equal(Buffer.byteLength(fits), MAX);
    assert.equal((await postWeb2('requester', requester, 'utf8-max', fits)).status, 204);
    added.web2 += 1;
    const over = remember('web2 4098 bytes of é', crypto.randomBytes(18).toString('base64url') + 'é'.repeat((MAX - 24) / 2 + 1));
    assert.ok(over.length < MAX, 'fewer characters than the limit, more bytes');
    assert.equal((await postWeb2('requester', requester, 'utf8-over', over)).status, 413);
    // Not the owner address: 401.
    const r401 = await postWeb2('outsider', requester, 'stolen', secret('web2 by outsider'));
    assert.equal(r401.status, 401, show(r401));
    assert.equal(r401.body.length, 0, show(r401));
  });

  // ---- malformed requests (raw HTTP) ------------------------------------------------------
  it('empty body: 400 on every secret POST', async () => {
    const a = await sign(keyOf('requester'), challenges.web2(requester, 'empty', ''));
    const h = { Authorization: a, 'Content-Type': 'text/plain' };
    const cases = [
      web2Path(requester, 'empty'),
      web3Path(assets.dataset.address),
      `/apps/${assets.appPause.address}/secrets`,
      `/requesters/${requester}/secrets/empty`,
    ];
    for (const p of cases) {
      const r = await req('POST', p, { headers: h, body: '' });
      assert.equal(r.status, 400, `POST ${p} with empty body: ${show(r)}`);
    }
    const put = await req('PUT', web2Path(requester, RESULT_KEY_NAME), { headers: h, body: '' });
    assert.equal(put.status, 400, `PUT with empty body: ${show(put)}`);
    assert.equal((await req('HEAD', `/apps/${assets.appPause.address}/secrets`)).status, 404, 'nothing stored');
  });

  it('missing Authorization header: 400', async () => {
    for (const p of [web2Path(requester, 'noauth'), web3Path(assets.dataset.address), `/apps/${assets.appPause.address}/secrets`, `/requesters/${requester}/secrets/noauth`]) {
      const r = await req('POST', p, { headers: { 'Content-Type': 'text/plain' }, body: secret('no auth') });
      assert.equal(r.status, 400, `POST ${p} without Authorization: ${show(r)}`);
    }
  });

  it('malformed address: 400', async () => {
    const sig = await sign(keyOf('requester'), challenges.web2(requester, 'x', 'x'));
    const h = { Authorization: sig, 'Content-Type': 'text/plain' };
    const cases = [
      ['POST', web2Path('0x1234', 'malformed')],
      ['POST', web3Path('0x1234')],
      ['POST', '/apps/0xzz/secrets'],
      ['POST', `/apps/${assets.appPause.address.slice(0, 41)}/secrets`],
      ['POST', '/requesters/0x1234/secrets/malformed'],
    ];
    for (const [m, p] of cases) {
      const r = await req(m, p, { headers: h, body: secret(`malformed address ${p}`) });
      assert.equal(r.status, 400, `${m} ${p}: ${show(r)}`);
    }
  });

  it('malformed address on HEAD: 404 as the reference (nothing can exist there)', async () => {
    for (const p of [web2Path('0x1234', 'malformed'), web3Path('0x1234'), '/apps/0xzz/secrets', '/requesters/0x1234/secrets/malformed']) {
      const r = await req('HEAD', p);
      assert.equal(r.status, 404, `HEAD ${p}`);
    }
  });

  it('malformed signature: 401', async () => {
    const bad = ['0x1234', 'zz', `0x${'00'.repeat(65)}`];
    for (const a of bad) {
      const h = { Authorization: a, 'Content-Type': 'text/plain' };
      const cases = [
        web2Path(requester, 'badsig'),
        web3Path(assets.dataset.address),
        `/apps/${assets.appPause.address}/secrets`,
        `/requesters/${requester}/secrets/badsig`,
      ];
      for (const p of cases) {
        const r = await req('POST', p, { headers: h, body: secret('bad signature') });
        assert.equal(r.status, 401, `POST ${p} with Authorization: ${a}: ${show(r)}`);
      }
    }
    // A real signature with v = 1 instead of 28/27 (sms-api.md 5.3.1).
    const v = secret('v=1');
    const good = await sign(keyOf('requester'), challenges.web2(requester, 'badv', v));
    const r = await req('POST', web2Path(requester, 'badv'), { headers: { Authorization: `${good.slice(0, -2)}01` }, body: v });
    assert.equal(r.status, 401, show(r));
    assert.equal((await req('HEAD', web2Path(requester, 'badv'))).status, 404);
  });

  it('metrics count the inserts', async () => {
    const m = await metrics();
    assert.equal(m.web2.addedSinceStartCount, added.web2, JSON.stringify(m.web2));
    assert.equal(m.web3.addedSinceStartCount, added.web3, JSON.stringify(m.web3));
    assert.equal(m.compute.addedSinceStartCount, added.compute, JSON.stringify(m.compute));
    assert.equal(m['TEE challenges'].addedSinceStartCount, 0);
    const p = await req('GET', '/actuator/prometheus');
    const val = (name) => {
      const mm = p.text.match(new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm'));
      return mm ? Number(mm[1]) : undefined;
    };
    assert.equal(val('iexec_sms_secrets_web2_added_total'), added.web2, p.text);
    assert.equal(val('iexec_sms_secrets_compute_added_total'), added.compute, p.text);
  });

  // ---- chain node outages -------------------------------------------------------------------
  it('chain node paused (SIGSTOP): app push fails fast and clearly, works again once resumed', async (t) => {
    if (!fs.existsSync(path.join(chainEnv.dir, 'anvil.child.pid'))) { t.skip('no anvil pid to pause'); return; }
    const app = assets.appPause.address;
    const owner = sdk('appOwner');
    assert.equal(await owner.app.checkAppSecretExists(app), false); // warms the SDK up before the outage
    const v1 = secret('app secret during pause');
    pauseAnvil(chainEnv.dir);
    try {
      const r = await postApp('appOwner', app, v1);
      t.diagnostic(`raw push while paused: ${r.status} in ${r.ms} ms: ${r.text}`);
      assert.equal(r.status, 503, `paused node: ${show(r)}`);
      assert.ok(r.ms < 5000, `answered after ${r.ms} ms`);
      const t0 = Date.now();
      await assert.rejects(owner.app.pushAppSecret(app, secret('sdk push during pause')), /not allowed|internal error/);
      // The SDK talks to the paused node itself too: a looser bound, the daemon's own is above.
      assert.ok(Date.now() - t0 < 15000, `SDK push took ${Date.now() - t0} ms`);
    } finally {
      resumeAnvil(chainEnv.dir);
    }
    const value = secret('app secret after resume');
    assets.appPause.secret = value;
    assert.equal(await owner.app.pushAppSecret(app, value), true);
    added.compute += 1;
    assert.equal(await sdk('outsider').app.checkAppSecretExists(app), true);
  });

  it('chain node stopped: app push fails fast and clearly, works again once it is restarted', async (t) => {
    if (!chainEnv.owned) { t.skip('chain not started by this test file'); return; }
    const app = assets.appDown.address;
    const owner = sdk('appOwner');
    assert.equal(await owner.app.checkAppSecretExists(app), false);
    const { port: chainPort } = chainInfo(chainEnv.dir);
    let t0 = Date.now();
    await stopAnvil(chainEnv.dir); // anvil dumps its state on the way out
    timings.anvilStopMs = Date.now() - t0;
    try {
      const r = await postApp('appOwner', app, secret('app secret while node down'));
      t.diagnostic(`raw push while stopped: ${r.status} in ${r.ms} ms: ${r.text}`);
      assert.equal(r.status, 503, `stopped node: ${show(r)}`);
      assert.match(r.text, /Blockchain node unavailable/);
      assert.ok(r.ms < 5000, `answered after ${r.ms} ms`);
      await assert.rejects(owner.app.pushAppSecret(app, secret('sdk push while node down')), /not allowed|internal error/);
      const h = await req('GET', '/actuator/health');
      assert.equal(h.status, 200, `health does not depend on the chain: ${show(h)}`);
    } finally {
      t0 = Date.now();
      await startAnvil(chainEnv.dir, { port: chainPort, loadState: chainEnv.dumpFile, dumpState: chainEnv.dumpFile, ttl: 900 });
      timings.anvilRestartMs = Date.now() - t0;
    }
    const value = secret('app secret after node restart');
    assets.appDown.secret = value;
    assert.equal(await owner.app.pushAppSecret(app, value), true);
    added.compute += 1;
    assert.equal(await sdk('outsider').app.checkAppSecretExists(app), true);
  });

  // ---- restart --------------------------------------------------------------------------------
  it('daemon restart (SIGTERM, same database and key): every secret is still there', async () => {
    const before = await metrics();
    // The database files as they are while the daemon runs (the WAL is merged away at exit).
    liveDbSnapshot = ['sms.sqlite', 'sms.sqlite-wal', 'sms.sqlite-shm']
      .map((f) => path.join(workDir, f)).filter((f) => fs.existsSync(f))
      .map((f) => [`${path.basename(f)} (while running)`, fs.readFileSync(f)]);
    const stopped = await sms.stop();
    timings.daemonStopMs = stopped.ms;
    assert.equal(stopped.killed, false, 'stopped by SIGTERM within 10 s');
    assert.equal(stopped.code, 0, `exit status after SIGTERM: ${JSON.stringify(stopped)}`);
    const t0 = Date.now();
    sms = await startDaemon({ bin: SMS_BIN, dir: workDir, port, rpcUrl: chain.rpcUrl, hub: chain.hub, chainId: chain.chainId });
    timings.daemonRestartMs = Date.now() - t0;
    // A different URL string for the same daemon: the SDK caches positive answers per smsURL.
    smsURL = `${sms.url}/after-restart/`;

    const heads = [
      // Apps whose push succeeded above (the outage tests may be skipped on a reused chain).
      ...[assets.appA, assets.appPause, assets.appDown].filter((a) => a.secret).map((a) => `/apps/${a.address}/secrets`),
      web3Path(assets.dataset.address),
      web2Path(requester, RESULT_KEY_NAME),
      web2Path(requester, DROPBOX_NAME),
      web2Path(requester, 'utf8-max'),
      ...requesterKeys.map((k) => `/requesters/${requester}/secrets/${k}`),
    ];
    for (const p of heads) assert.equal((await req('HEAD', p)).status, 204, `HEAD ${p} after restart`);
    assert.equal((await req('HEAD', web2Path(requester, 'never-pushed'))).status, 404);

    assert.equal(await sdk('outsider').app.checkAppSecretExists(assets.appA.address), true);
    assert.equal(await sdk('outsider').dataset.checkDatasetSecretExists(assets.dataset.address), true);
    assert.equal(await sdk('outsider').result.checkResultEncryptionKeyExists(requester), true);
    assert.equal(await sdk('outsider').storage.checkStorageTokenExists(requester, 'dropbox'), true);
    for (const k of requesterKeys) assert.equal(await sdk('outsider').secrets.checkRequesterSecretExists(requester, k), true);
    // Still insert-only after the restart.
    await assert.rejects(sdk('appOwner').app.pushAppSecret(assets.appA.address, secret('app dup after restart')), /already exists/);
    // An identical PUT of the stored web2 value is still a no-op 204.
    const same = await postWeb2('requester', requester, DROPBOX_NAME, assets.dropboxToken, 'PUT');
    assert.equal(same.status, 204, show(same));
    const m = await metrics();
    for (const type of ['web2', 'web3', 'compute']) {
      assert.equal(m[type].initialCount, before[type].initialCount + before[type].addedSinceStartCount, `${type}: ${JSON.stringify(m[type])}`);
      assert.equal(m[type].addedSinceStartCount, 0, `${type}: ${JSON.stringify(m[type])}`);
    }
    added = { web2: 0, web3: 0, compute: 0 };
    // A push after the restart works (the chain client of the new process too).
    const ds2 = await createDataset(chain);
    assert.equal(await sdk('datasetOwner').dataset.pushDatasetSecret(ds2.address, secret('dataset after restart')), true);
  });

  // ---- privacy: last, on the daemon's final files -------------------------------------------
  it('no pushed value appears in the database files or the daemon log', async () => {
    const st = await sms.stop();
    assert.equal(st.killed, false);
    const files = ['sms.sqlite', 'sms.sqlite-wal', 'sms.sqlite-shm', 'sms.log']
      .map((f) => path.join(workDir, f)).filter((f) => fs.existsSync(f));
    assert.ok(files.includes(path.join(workDir, 'sms.sqlite')), 'database file exists');
    assert.ok(fs.statSync(path.join(workDir, 'sms.sqlite')).size > 0, 'database file is not empty');
    const contents = [...files.map((f) => [path.basename(f), fs.readFileSync(f)]), ...liveDbSnapshot];
    // Positive controls: identifiers are stored in clear (sms-api.md 9.4), so the search does see
    // the database's real bytes (not, say, a compressed or empty copy); the log has the daemon's
    // own output, not only the start markers written by lib/daemon.mjs.
    const has = (name, s) => contents.some(([n, b]) => n.startsWith(name) && b.includes(Buffer.from(s)));
    assert.ok(has('sms.sqlite', 'E2E_Secret_2'), 'the database holds the requester key name in clear');
    const log = fs.readFileSync(path.join(workDir, 'sms.log'), 'utf8');
    assert.ok(log.split('\n').some((l) => l.trim() && !l.startsWith('===== e2e:')), 'the daemon wrote to its log');
    // Every 16-byte window of every value (at every offset) is looked for, so a partial or
    // truncated copy is caught as well as a whole one. Bytes are compared as latin1 strings.
    const W = 16;
    const windows = new Map(); // window -> label of the value it comes from
    for (const { label, value } of sentValues) {
      const b = Buffer.from(value, 'utf8');
      assert.ok(b.length >= W, `${label}: values must be at least ${W} bytes to be searchable`);
      for (let i = 0; i + W <= b.length; i++) windows.set(b.toString('latin1', i, i + W), label);
    }
    const leaks = new Map(); // "<value> in <file>" -> first byte offset
    for (const [name, buf] of contents) {
      const text = buf.toString('latin1');
      for (let i = 0; i + W <= text.length; i++) {
        const label = windows.get(text.substring(i, i + W));
        if (label && !leaks.has(`${label} in ${name}`)) leaks.set(`${label} in ${name}`, i);
      }
    }
    assert.deepEqual([...leaks].map(([k, i]) => `${k} (from byte ${i})`), [], `secret bytes leaked (${sentValues.length} values checked in ${contents.map(([n]) => n).join(', ')})`);
    assert.ok(sentValues.length > 30);
  });
});

// Self-test of the provisioner stand-ins (provisioners/): they must accept documents shaped as
// tee-sessions.md 6.8 / 7.1 / 8.2 and refuse what a real CAS, SPS or storage would not, so that a
// green tee.test.mjs means something. No chain, no daemon: about a second.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { makePki } from './provisioners/certs.mjs';
import { startCas, parseStrictYaml, validateSconeSession } from './provisioners/cas.mjs';
import { startSps, validateGramineSession } from './provisioners/sps.mjs';
import { startTdx, validateTdxSession } from './provisioners/tdx.mjs';
import { JAVA_VARS } from './provisioners/env-rules.mjs';

const TASK = '0x3b31255a9f930bb80359c3ba2fef22133cd773f2653bd87c6035861658aa0882';
const DEAL = `0x${'11'.repeat(32)}`;
const SIGN = { SIGN_WORKER_ADDRESS: '0x1563915e194D8CfBA1943570603F7606A3115508', SIGN_TEE_CHALLENGE_PRIVATE_KEY: `0x${'33'.repeat(32)}` };
const FP = (c) => c.repeat(64);
const envs = () => ({
  pre: {
    IEXEC_PRE_COMPUTE_OUT: '/iexec_in', IS_DATASET_REQUIRED: 'true', IEXEC_DATASET_KEY: 'kJ0d3bX=', IEXEC_DATASET_URL: '/ipfs/QmUbh7ugQ9WVprTVYjzrCS4d9cCy73zUz4MMchsrqzzu1w',
    IEXEC_DATASET_FILENAME: `0x${'9d'.repeat(20)}`, IEXEC_DATASET_CHECKSUM: `0x${'5d'.repeat(32)}`, IEXEC_DEAL_ID: DEAL, IEXEC_TASK_INDEX: '3', IEXEC_TASK_ID: TASK,
    IEXEC_INPUT_FILES_FOLDER: '/iexec_in', IEXEC_INPUT_FILES_NUMBER: '1', IEXEC_INPUT_FILE_URL_1: 'https://example.com/data.csv', ...SIGN,
  },
  app: {
    IEXEC_DEAL_ID: DEAL, IEXEC_TASK_INDEX: '3', IEXEC_TASK_ID: TASK, IEXEC_IN: '/iexec_in', IEXEC_OUT: '/iexec_out', IEXEC_BOT_SIZE: '4', IEXEC_BOT_FIRST_INDEX: '0',
    IEXEC_BOT_TASK_INDEX: '3', IEXEC_DATASET_ADDRESS: `0x${'9d'.repeat(20)}`, IEXEC_DATASET_FILENAME: `0x${'9d'.repeat(20)}`, IEXEC_INPUT_FILES_FOLDER: '/iexec_in',
    IEXEC_INPUT_FILES_NUMBER: '1', IEXEC_INPUT_FILE_NAME_1: `0x${'16'.repeat(32)}`, IEXEC_APP_DEVELOPER_SECRET: 'dev', IEXEC_APP_DEVELOPER_SECRET_1: 'dev', IEXEC_REQUESTER_SECRET_1: 'req',
  },
  post: {
    RESULT_ENCRYPTION: 'true', RESULT_ENCRYPTION_PUBLIC_KEY: 'LS0t', RESULT_STORAGE_CALLBACK: 'false', RESULT_STORAGE_PROVIDER: 'ipfs',
    RESULT_STORAGE_PROXY: 'https://result.example', RESULT_STORAGE_TOKEN: 'eyJ', IEXEC_TASK_ID: TASK, ...SIGN,
  },
});
const ATTESTATION = { tolerate: ['hyperthreading', 'outdated-tcb'], ignore_advisories: ['INTEL-SA-00220'], mode: 'maa', url: 'http://127.0.0.1:1' };

/** The 6.8 example as an object. */
function sconeDoc() {
  const e = envs();
  const svc = (name, fp, command, env) => ({ name, image_name: `${name}-image`, mrenclaves: [fp], pwd: '/', command, environment: env });
  return {
    name: `Xy7Qp2Lm9B0000${TASK}`,
    version: '0.3.10',
    access_policy: { read: ['CREATOR'], update: ['NONE'] },
    services: [
      svc('pre-compute', FP('5'), '/app/tee-worker-pre-compute', { ...JAVA_VARS, ...e.pre }),
      svc('app', FP('0'), 'python3 /app/app.py --verbose', e.app),
      svc('post-compute', FP('8'), '/app/tee-worker-post-compute', { ...JAVA_VARS, ...e.post }),
    ],
    images: [
      { name: 'pre-compute-image', volumes: [{ name: 'iexec_in', path: '/iexec_in' }] },
      { name: 'app-image', volumes: [{ name: 'iexec_in', path: '/iexec_in' }, { name: 'iexec_out', path: '/iexec_out' }] },
      { name: 'post-compute-image', volumes: [{ name: 'iexec_out', path: '/iexec_out' }, { name: 'post-compute-tmp', path: '/post-compute-tmp' }] },
    ],
    volumes: [{ name: 'iexec_in' }, { name: 'iexec_out' }, { name: 'post-compute-tmp' }],
    security: { attestation: { ...ATTESTATION } },
  };
}
const quotedYaml = (doc) => YAML.stringify(doc, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });

function post(url, body, { cert, key, ca, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = https.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', ca, cert, key, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('provisioner stand-ins are strict', () => {
  let dir;
  let pki;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-e2e-pki-'));
    pki = makePki(dir);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('Scone: the spec example passes, and each mutation is caught', () => {
    const ok = parseStrictYaml(quotedYaml(sconeDoc()));
    assert.deepEqual(ok.violations, []);
    assert.deepEqual(validateSconeSession(ok.doc, ATTESTATION), []);
    const noPre = sconeDoc();
    noPre.services.shift();
    noPre.images.shift();
    assert.deepEqual(validateSconeSession(noPre), []);

    const mutations = {
      'version as a number': (d) => { d.version = 0.3; },
      'services out of order': (d) => { d.services.reverse(); },
      'extra top-level key': (d) => { d.predecessor = null; },
      'pwd not /': (d) => { d.services[1].pwd = '/app'; },
      'missing Java var in post': (d) => { delete d.services[2].environment.JAVA_TOOL_OPTIONS; },
      'Java var in app': (d) => { d.services[1].environment.LD_LIBRARY_PATH = JAVA_VARS.LD_LIBRARY_PATH; },
      'signing key in app': (d) => { d.services[1].environment.SIGN_TEE_CHALLENGE_PRIVATE_KEY = SIGN.SIGN_TEE_CHALLENGE_PRIVATE_KEY; },
      'integer env value': (d) => { d.services[1].environment.IEXEC_BOT_SIZE = 4; },
      'null env value': (d) => { d.services[2].environment.RESULT_STORAGE_PROVIDER = null; },
      'two mrenclaves': (d) => { d.services[0].mrenclaves.push(FP('1')); },
      'image volume missing': (d) => { d.images[2].volumes.pop(); },
      'volumes without post-compute-tmp': (d) => { d.volumes.pop(); },
      'worker address not checksummed': (d) => { d.services[2].environment.SIGN_WORKER_ADDRESS = SIGN.SIGN_WORKER_ADDRESS.toLowerCase(); },
      'task ids differ': (d) => { d.services[2].environment.IEXEC_TASK_ID = `0x${'44'.repeat(32)}`; },
      'url null in maa mode': (d) => { d.security.attestation.url = null; },
      'input file URL missing': (d) => { delete d.services[0].environment.IEXEC_INPUT_FILE_URL_1; },
      'dataset key empty': (d) => { d.services[0].environment.IEXEC_DATASET_KEY = ''; },
    };
    for (const [what, mutate] of Object.entries(mutations)) {
      const d = sconeDoc();
      mutate(d);
      assert.notDeepEqual(validateSconeSession(d, ATTESTATION), [], `not caught: ${what}`);
    }
    // YAML-level: an unquoted 0x scalar is an integer; "yes" is a boolean in YAML 1.1; aliases, duplicates.
    const text = quotedYaml(sconeDoc());
    const bad = {
      'unquoted hex key': text.replace(`"${SIGN.SIGN_TEE_CHALLENGE_PRIVATE_KEY}"`, SIGN.SIGN_TEE_CHALLENGE_PRIVATE_KEY),
      'unquoted yes': text.replace('"true"', 'yes'),
      'two documents': `${text}\n---\n${text}`,
      'duplicate key': text.replace('version: "0.3.10"', 'version: "0.3.10"\nversion: "0.3.10"'),
    };
    for (const [what, t] of Object.entries(bad)) {
      const r = parseStrictYaml(t);
      const v = r.doc ? [...r.violations, ...validateSconeSession(r.doc)] : r.violations;
      assert.notDeepEqual(v, [], `not caught: ${what}`);
    }
  });

  it('Gramine and TDX documents: spec shapes pass, mutations are caught', () => {
    const g = (e = envs()) => ({
      session: `abcdefghij0000${TASK}`,
      enclaves: [
        { name: 'app', mrenclave: FP('0'), command: '', environment: e.app, volumes: [] },
        { name: 'post-compute', mrenclave: FP('8'), command: '', environment: e.post, volumes: [] },
      ],
    });
    assert.deepEqual(validateGramineSession(g()), []);
    const g1 = g(); g1.enclaves.unshift({ name: 'pre-compute', mrenclave: FP('5'), command: '', environment: envs().pre, volumes: [] });
    assert.notDeepEqual(validateGramineSession(g1), []);
    const g2 = g(); g2.enclaves[0].command = 'python3 app.py';
    assert.notDeepEqual(validateGramineSession(g2), []);
    const g3 = g(); Object.assign(g3.enclaves[1].environment, JAVA_VARS);
    assert.notDeepEqual(validateGramineSession(g3), []);

    const t = (e = envs()) => ({
      name: `abcdefghij0000${TASK}`,
      version: '0.1.0',
      services: [
        { name: 'pre-compute', image_name: 'pre:1', fingerprint: FP('5'), environment: e.pre },
        { name: 'app', image_name: 'docker.io/org/app:1.0.0', fingerprint: `0x${FP('a')}`, environment: e.app },
        { name: 'post-compute', image_name: 'post:1', fingerprint: FP('8'), environment: e.post },
      ],
    });
    assert.deepEqual(validateTdxSession(t()), []);
    const t1 = t(); t1.version = '0.3.10';
    assert.notDeepEqual(validateTdxSession(t1), []);
    const t2 = t(); t2.services[1].mrenclave = null;
    assert.notDeepEqual(validateTdxSession(t2), []);
  });

  it('CAS: mutual TLS enforced (no certificate, untrusted certificate), 201 valid, 400 invalid', async () => {
    const cas = await startCas({ pki, expect: ATTESTATION });
    try {
      const url = `https://localhost:${cas.port}/session`;
      await assert.rejects(post(url, 'x', { ca: pki.ca }), 'no client certificate must fail the handshake');
      await assert.rejects(post(url, 'x', { ca: pki.ca, cert: pki.rogueCert, key: pki.rogueKey }), 'self-signed client certificate must fail');
      const good = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
      const r1 = await post(url, quotedYaml(sconeDoc()), good);
      assert.equal(r1.status, 201, r1.text);
      const bad = sconeDoc(); bad.version = '0.3';
      const r2 = await post(url, quotedYaml(bad), good);
      assert.equal(r2.status, 400, r2.text);
      assert.match(r2.text, /version/);
      assert.equal(cas.accepted().length, 1);
      assert.equal(cas.received[0].peerCertificate.fingerprint256, pki.clientFingerprint);
      const maa = await fetch(`${cas.maaUrl}/.well-known/openid-configuration`);
      assert.equal(maa.status, 200);
    } finally {
      await cas.close();
    }
  });

  it('SPS: Basic auth demanded; TDX: server certificate from the test CA', async () => {
    const sps = await startSps({ login: 'u', password: 'p' });
    const tdx = await startTdx({ pki });
    try {
      const e = envs();
      const doc = JSON.stringify({ session: `abcdefghij0000${TASK}`, enclaves: [
        { name: 'app', mrenclave: FP('0'), command: '', environment: e.app, volumes: [] },
        { name: 'post-compute', mrenclave: FP('8'), command: '', environment: e.post, volumes: [] }] });
      const send = (auth) => fetch(`${sps.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body: doc });
      assert.equal((await send(null)).status, 401);
      assert.equal((await send(`Basic ${Buffer.from('u:wrong').toString('base64')}`)).status, 401);
      assert.equal((await send(`Basic ${Buffer.from('u:p').toString('base64')}`)).status, 200);
      assert.equal(sps.accepted().length, 1);

      const tdoc = JSON.stringify({ name: `abcdefghij0000${TASK}`, version: '0.1.0', services: [
        { name: 'app', image_name: 'docker.io/org/app:1', fingerprint: `0x${FP('a')}`, environment: e.app },
        { name: 'post-compute', image_name: 'post:1', fingerprint: FP('8'), environment: e.post }] });
      const r = await post(`https://localhost:${tdx.port}/session`, tdoc, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, headers: { 'content-type': 'application/json' } });
      assert.equal(r.status, 201, r.text);
      await assert.rejects(post(`https://localhost:${tdx.port}/session`, tdoc, { cert: pki.clientCert, key: pki.clientKey }), 'a client without the test CA must not trust the server');
    } finally {
      await sps.close();
      await tdx.close();
    }
  });
});

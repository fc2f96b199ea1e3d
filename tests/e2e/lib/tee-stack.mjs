// One TEE daemon under test with everything around it: its provisioner stand-in (CAS, SPS or TDX
// storage), a counting JSON-RPC proxy in front of the chain, and the daemon configured for the
// framework (worker pipelines, provisioner endpoints, key store, CA file, attestation).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDaemon } from './daemon.mjs';
import { freePort } from './http.mjs';
import { startRpcProxy } from './rpc-proxy.mjs';
import { startCas } from '../provisioners/cas.mjs';
import { startSps } from '../provisioners/sps.mjs';
import { startTdx } from '../provisioners/tdx.mjs';

const fp = () => crypto.randomBytes(32).toString('hex');
const stage = (name, version, heap, heapBytes) => ({
  image: `docker.io/iexechub/tee-worker-${name}-compute-rust:${version}-e2e`, fingerprint: fp(),
  heap, heapBytes, entrypoint: `/app/tee-worker-${name}-compute`,
});
const pipeline = (version, heap = '1GB', heapBytes = 1073741824) => ({
  version, pre: stage('pre', version, heap, heapBytes), post: stage('post', version, heap, heapBytes),
});

/** Worker pipelines per framework: Scone has two (selection by the app's enclave version). */
export function pipelinesFor(framework) {
  if (framework === 'scone') return [pipeline('v5'), pipeline('v6', '512MB', 536870912)];
  if (framework === 'gramine') return [pipeline('v1')];
  return [pipeline('v0.1')];
}

export const SCONE_SETTINGS = Object.freeze({
  lasImage: 'registry.scontain.com/scone-production/iexec-las:5.9.1-e2e',
  tolerate: ['hyperthreading', 'outdated-tcb'],
  ignoreAdvisories: ['INTEL-SA-00220', 'INTEL-SA-00270'],
});
export const ENCLAVE_ENDPOINT = Object.freeze({ host: 'provisioner.e2e.test', port: 18765 });
export const TDX_REMOTE_ATTESTATION_URL = 'https://attestation.e2e.test:9443/';
export const PROVISIONER_TIMEOUT_MS = 2000;

/**
 * Start the stack of `framework` ('scone' | 'gramine' | 'tdx'). opts: bin, chain, pki.
 * Returns { framework, sms, proxy, provisioner, pipelines, secrets (configuration secrets for
 * the privacy check), dir, smsEnv, stop() }.
 */
export async function startTeeStack(framework, { bin, chain, pki }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sms-e2e-tee-${framework}-`));
  const pipelines = pipelinesFor(framework);
  const proxy = await startRpcProxy(chain.rpcUrl);
  const secrets = [{ label: 'key store password', value: pki.keystorePassword }];
  const env = {
    IEXEC_SMS_TEE_RUNTIME_FRAMEWORK: framework,
    IEXEC_LOG_LEVEL: 'TRACE',
    IEXEC_SECRET_PROVISIONER_TIMEOUT_MS: String(PROVISIONER_TIMEOUT_MS),
  };
  pipelines.forEach((p, i) => {
    env[`TEE_WORKER_PIPELINES_${i}_VERSION`] = p.version;
    for (const [st, s] of [['PRE', p.pre], ['POST', p.post]]) {
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_IMAGE`] = s.image;
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_FINGERPRINT`] = s.fingerprint;
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_HEAPSIZE`] = s.heap;
      env[`TEE_WORKER_PIPELINES_${i}_${st}COMPUTE_ENTRYPOINT`] = s.entrypoint;
    }
  });
  const tls = {
    IEXEC_SMS_SSL_KEYSTORE: pki.keystore,
    IEXEC_SMS_SSL_KEYSTORE_PASSWORD: pki.keystorePassword,
    IEXEC_SMS_SSL_KEYSTORE_ALIAS: pki.keystoreAlias,
    IEXEC_SECRET_PROVISIONER_CA_FILE: pki.caFile,
  };
  const endpoint = {
    IEXEC_SECRET_PROVISIONER_ENCLAVE_HOSTNAME: ENCLAVE_ENDPOINT.host,
    IEXEC_SECRET_PROVISIONER_ENCLAVE_PORT: String(ENCLAVE_ENDPOINT.port),
  };
  let provisioner;
  let deadAttestationUrl = null;
  if (framework === 'scone') {
    deadAttestationUrl = `http://127.0.0.1:${await freePort()}`;
    provisioner = await startCas({ pki });
    provisioner.expect = {
      tolerate: SCONE_SETTINGS.tolerate, ignore_advisories: SCONE_SETTINGS.ignoreAdvisories, mode: 'maa', url: provisioner.maaUrl,
    };
    Object.assign(env, tls, endpoint, {
      IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME: 'localhost',
      IEXEC_SECRET_PROVISIONER_WEB_PORT: String(provisioner.port),
      IEXEC_SMS_IMAGE_LAS_IMAGE: SCONE_SETTINGS.lasImage,
      IEXEC_SCONE_TOLERATED_INSECURE_OPTIONS: SCONE_SETTINGS.tolerate.join(', '),
      IEXEC_IGNORED_SGX_ADVISORIES: SCONE_SETTINGS.ignoreAdvisories.join(','),
      TEE_SCONE_ATTESTATION_MODE: 'maa',
      // One dead server and one live one: whatever order the daemon tries them in, the
      // session must name the live one.
      TEE_SCONE_ATTESTATION_URLS_0: deadAttestationUrl,
      TEE_SCONE_ATTESTATION_URLS_1: provisioner.maaUrl,
    });
  } else if (framework === 'gramine') {
    const login = 'sps-e2e-admin';
    const password = `sps-${crypto.randomBytes(12).toString('base64url')}`;
    secrets.push({ label: 'SPS password', value: password });
    provisioner = await startSps({ login, password });
    Object.assign(env, endpoint, {
      IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME: '127.0.0.1',
      IEXEC_SECRET_PROVISIONER_WEB_PORT: String(provisioner.port),
      IEXEC_GRAMINE_SPS_WEB_LOGIN: login,
      IEXEC_GRAMINE_SPS_WEB_PASSWORD: password,
    });
  } else {
    provisioner = await startTdx({ pki });
    Object.assign(env, tls, {
      TEE_SECRETPROVISIONER_POSTURL: `https://127.0.0.1:${provisioner.port}`,
      TEE_SECRETPROVISIONER_REMOTEATTESTATIONURL: TDX_REMOTE_ATTESTATION_URL,
    });
  }
  const port = await freePort();
  let sms;
  try {
    sms = await startDaemon({ bin, dir, port, rpcUrl: proxy.url, hub: chain.hub, chainId: chain.chainId, extraEnv: env });
  } catch (e) {
    await provisioner.close();
    await proxy.close();
    throw e;
  }
  return {
    framework, sms, proxy, provisioner, pipelines, secrets, dir, smsEnv: env, deadAttestationUrl,
    secretProvisioningUrl: framework === 'tdx' ? TDX_REMOTE_ATTESTATION_URL : `${ENCLAVE_ENDPOINT.host}:${ENCLAVE_ENDPOINT.port}`,
    async stop() {
      await sms.stop();
      await provisioner.close();
      await proxy.close();
    },
  };
}

// What the enclave environments of one session must be, computed independently from the deal
// and the pushed secrets (tee-sessions.md 4.10, 5.5-5.9), to compare with the document the
// provisioner stand-in received. SIGN_TEE_CHALLENGE_PRIVATE_KEY is unknown to the test: it is
// left out here and checked through its address.
import crypto from 'node:crypto';
import { ethers } from 'ethers';

const sha256 = (s) => `0x${crypto.createHash('sha256').update(s, 'utf8').digest('hex')}`;

/**
 * s: { taskid, dealid, idx, botSize, botFirst (0), params (object; the deal params),
 *   callback (address), worker (address), dataset: null | { address, url, checksum, key },
 *   appSecret (string|null), requesterSecrets ({ name: value } stored for the requester),
 *   resultKey (beneficiary's stored key or null), tokens: { requesterIpfs, workerIpfs, proxyUrl,
 *   dropbox } (stored values or null) }.
 * Returns { pre (null when no pre-compute), app, post, appCommandArgs }.
 */
export function expectedEnvs(s) {
  const p = s.params || {};
  const files = p.iexec_input_files || [];
  const taskid = s.taskid.toLowerCase();
  const dealid = s.dealid.toLowerCase();
  const idx = String(s.idx);
  const sign = { SIGN_WORKER_ADDRESS: ethers.getAddress(s.worker) };
  const ds = s.dataset;
  const dsAddress = ds ? ds.address.toLowerCase() : ethers.ZeroAddress;

  let pre = null;
  if (ds || files.length || p.bulk_cid) {
    pre = {
      IEXEC_PRE_COMPUTE_OUT: '/iexec_in',
      IS_DATASET_REQUIRED: ds ? 'true' : 'false',
      IEXEC_DEAL_ID: dealid,
      IEXEC_TASK_INDEX: idx,
      IEXEC_TASK_ID: taskid,
      IEXEC_INPUT_FILES_NUMBER: String(files.length),
      ...sign,
    };
    if (ds) Object.assign(pre, { IEXEC_DATASET_KEY: ds.key, IEXEC_DATASET_URL: ds.url, IEXEC_DATASET_FILENAME: dsAddress, IEXEC_DATASET_CHECKSUM: ds.checksum.toLowerCase() });
    if (files.length) pre.IEXEC_INPUT_FILES_FOLDER = '/iexec_in';
    files.forEach((u, i) => { pre[`IEXEC_INPUT_FILE_URL_${i + 1}`] = u; });
  }

  const app = {};
  if (s.appSecret != null) Object.assign(app, { IEXEC_APP_DEVELOPER_SECRET: s.appSecret, IEXEC_APP_DEVELOPER_SECRET_1: s.appSecret });
  for (const [k, name] of Object.entries(p.iexec_secrets || {})) {
    if (/^[1-9][0-9]*$/.test(k) && name in (s.requesterSecrets || {})) app[`IEXEC_REQUESTER_SECRET_${k}`] = s.requesterSecrets[name];
  }
  Object.assign(app, {
    IEXEC_DEAL_ID: dealid, IEXEC_TASK_INDEX: idx, IEXEC_TASK_ID: taskid, IEXEC_IN: '/iexec_in', IEXEC_OUT: '/iexec_out',
    IEXEC_BOT_SIZE: String(s.botSize), IEXEC_BOT_FIRST_INDEX: String(s.botFirst || 0), IEXEC_BOT_TASK_INDEX: idx,
    IEXEC_DATASET_ADDRESS: dsAddress, IEXEC_DATASET_FILENAME: dsAddress, IEXEC_INPUT_FILES_NUMBER: String(files.length),
  });
  if (files.length) app.IEXEC_INPUT_FILES_FOLDER = '/iexec_in';
  files.forEach((u, i) => { app[`IEXEC_INPUT_FILE_NAME_${i + 1}`] = sha256(u); });

  const t = s.tokens || {};
  const encrypt = p.iexec_result_encryption === true;
  const post = { RESULT_ENCRYPTION: String(encrypt), RESULT_ENCRYPTION_PUBLIC_KEY: encrypt ? s.resultKey : '' };
  if (s.callback && s.callback !== ethers.ZeroAddress) {
    Object.assign(post, { RESULT_STORAGE_CALLBACK: 'true', RESULT_STORAGE_PROVIDER: '', RESULT_STORAGE_PROXY: '', RESULT_STORAGE_TOKEN: '' });
  } else if (p.iexec_result_storage_provider === 'dropbox') {
    Object.assign(post, { RESULT_STORAGE_CALLBACK: 'false', RESULT_STORAGE_PROVIDER: 'dropbox', RESULT_STORAGE_PROXY: p.iexec_result_storage_proxy ?? '', RESULT_STORAGE_TOKEN: t.dropbox });
  } else {
    Object.assign(post, {
      RESULT_STORAGE_CALLBACK: 'false',
      RESULT_STORAGE_PROVIDER: p.iexec_result_storage_provider ?? '',
      RESULT_STORAGE_PROXY: p.iexec_result_storage_proxy ?? t.proxyUrl ?? '',
      RESULT_STORAGE_TOKEN: t.workerIpfs ?? t.requesterIpfs,
    });
  }
  Object.assign(post, { IEXEC_TASK_ID: taskid, ...sign });
  return { pre, app, post };
}

/** Drop the challenge private key (checked separately) from a received environment. */
export function withoutKey(env) {
  if (!env) return env;
  const { SIGN_TEE_CHALLENGE_PRIVATE_KEY: _k, ...rest } = env;
  return rest;
}

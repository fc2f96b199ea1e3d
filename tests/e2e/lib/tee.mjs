// The two requests the workerpool side sends to /tee (tee-sessions.md 2, 3.1, 5.1), built with
// ethers as the scheduler (iexec-core) and the worker (iexec-worker) build them:
//   POST /tee/challenges/{taskid}   Authorization = pool owner's personal_sign(keccak256(taskid))
//   POST /tee/sessions              body = WorkerpoolAuthorization signed by the pool owner,
//                                   Authorization = worker's personal_sign of the same hash.
import { ethers } from 'ethers';
import { keyOf } from '../chain/lib/accounts.mjs';
import { request } from './http.mjs';

const walletOf = (who) => new ethers.Wallet(typeof who === 'string' && who.startsWith('0x') ? who : keyOf(who));
const personalSign = (who, hash) => walletOf(who).signMessage(ethers.getBytes(hash));

/** keccak256(worker[20] ++ taskid[32] ++ enclaveChallenge[20]) (2.2). */
export const authorizationHash = (worker, taskid, challenge) => ethers.keccak256(ethers.concat([worker, taskid, challenge]));

export async function challengeRequest(taskid, signer = 'workerpoolOwner') {
  return { method: 'POST', path: `/tee/challenges/${taskid}`, headers: { Authorization: await personalSign(signer, ethers.keccak256(taskid)) } };
}

/**
 * opts: taskid, dealid, idx, worker (role or key; default 'worker'), enclaveChallenge (address),
 * poolSigner (default 'workerpoolOwner'), headerSigner (default = worker), mutate(body) to
 * tamper with the body after signing. Returns { method, path, headers, body (string), json }.
 */
export async function sessionRequest(opts) {
  const { taskid, dealid, idx = 0, worker = 'worker', enclaveChallenge, poolSigner = 'workerpoolOwner', headerSigner = worker, mutate } = opts;
  const workerAddress = walletOf(worker).address;
  const hash = authorizationHash(workerAddress, taskid, enclaveChallenge);
  const json = {
    chainTaskId: taskid, dealId: dealid, taskIndex: idx, workerWallet: workerAddress, enclaveChallenge,
    signature: { value: await personalSign(poolSigner, hash) },
  };
  if (mutate) mutate(json);
  return {
    method: 'POST',
    path: '/tee/sessions',
    headers: { 'Content-Type': 'application/json', Authorization: await personalSign(headerSigner, hash) },
    json,
    body: JSON.stringify(json),
    workerAddress,
  };
}

/** Send a built request to the daemon; returns the lib/http.mjs answer plus the request. */
export async function send(baseUrl, req, timeoutMs = 20_000) {
  const r = await request(baseUrl, req.method, req.path, { headers: req.headers, body: req.body, timeoutMs });
  return Object.assign(r, { req });
}

/** One line describing an exchange, for assertion messages. */
export function exchange(r) {
  const body = r.req && r.req.body ? ` ${r.req.body.length > 400 ? `${r.req.body.slice(0, 400)}...` : r.req.body}` : '';
  return `${r.req ? `${r.req.method} ${r.req.path}${body}` : ''} -> ${r.status} ${r.text}`;
}

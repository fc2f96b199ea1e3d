// Push secrets to a daemon with raw signed requests (sms-api.md 5): what the SDK sends, without
// its preflight HEADs. Each function resolves the lib/http.mjs answer (204 expected).
import { request } from './http.mjs';
import { challenges, sign } from './sign.mjs';
import { keyOf } from '../chain/lib/accounts.mjs';

const post = async (url, path, role, challenge, value) => request(url, 'POST', path, {
  headers: { Authorization: await sign(keyOf(role), challenge), 'Content-Type': 'text/plain' }, body: value,
});

export const pushWeb2 = (url, role, owner, name, value) => post(url,
  `/secrets/web2?ownerAddress=${owner}&secretName=${encodeURIComponent(name)}`, role, challenges.web2(owner, name, value), value);
export const pushWeb3 = (url, role, address, value) => post(url, `/secrets/web3?secretAddress=${address}`, role, challenges.web3(address, value), value);
export const pushAppSecret = (url, role, app, value) => post(url, `/apps/${app}/secrets`, role, challenges.app(app, value), value);
export const pushRequesterSecret = (url, role, requester, key, value) => post(url,
  `/requesters/${requester}/secrets/${key}`, role, challenges.requester(requester, key, value), value);

export const NAMES = Object.freeze({
  resultKey: 'iexec-result-encryption-public-key',
  dropbox: 'iexec-result-dropbox-token',
  ipfs: 'iexec-result-iexec-ipfs-token',
  proxyUrl: 'iexec-result-iexec-result-proxy-url',
});

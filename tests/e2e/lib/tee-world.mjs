// The on-chain world of tee.test.mjs: one workerpool, apps with enclave JSONs for each
// framework, datasets, the deals and ACTIVE tasks of every case, and the secrets that the
// sessions must carry. Secret values are random and registered for the privacy check.
import crypto from 'node:crypto';
import { ethers } from 'ethers';
import { createApp, createDataset, createWorkerpool } from '../chain/lib/fixtures.mjs';
import { enclaveConfig } from '../chain/lib/deals.mjs';
import { addressOf } from '../chain/lib/accounts.mjs';
import { sdkFor } from '../chain/lib/sdk.mjs';
import { pushWeb2, pushWeb3, pushAppSecret, pushRequesterSecret, NAMES } from './push.mjs';

export const WORKER2 = 7; // anvil account with no IPFS token of its own
export const CALLBACK = '0x000000000000000000000000000000000000c0de';
export const INPUT_FILES = ['https://inputs.e2e.test/a.csv', 'https://inputs.e2e.test/b%20c.json?x=1'];
const IPFS_MULTIADDR = '/ipfs/QmUbh7ugQ9WVprTVYjzrCS4d9cCy73zUz4MMchsrqzzu1w';

/** Secret values: every one is registered in `sent` ({label, value}) for the privacy check. */
function makeSecrets(sent) {
  const v = (label, value = crypto.randomBytes(24).toString('base64url')) => { sent.push({ label, value }); return value; };
  const { publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' });
  return {
    dsTextKey: v('dataset key (text multiaddr)', crypto.randomBytes(32).toString('base64')),
    dsIpfsKey: v('dataset key (ipfs multiaddr)', crypto.randomBytes(32).toString('base64')),
    dsRKey: v('dataset key (JSON-RPC counting deal)', crypto.randomBytes(32).toString('base64')),
    appSecret: { scone: v('scone app secret'), gramine: v('gramine app secret'), tdx: v('tdx app secret') },
    requester: { 'req-api-key': v('requester secret req-api-key'), 'req-db-pass': v('requester secret req-db-pass') },
    resultKeyPem: pem,
    resultKey: v('result encryption key (base64 PEM, as the SDK sends it)', Buffer.from(pem).toString('base64')),
    requesterIpfs: v('requester ipfs token'),
    workerIpfs: v('worker ipfs token'),
    dropbox: v('requester dropbox token'),
    proxyUrl: `https://result-proxy-${crypto.randomBytes(4).toString('hex')}.e2e.test`,
  };
}

/** Assets, secrets and deals. dm: chain/lib/deals.mjs dealMaker. Returns the world object. */
export async function buildWorld(chain, dm, sent) {
  const t0 = Date.now();
  const workerpool = (await createWorkerpool(chain)).address;
  const app = async (mrenclave) => createApp(chain, { mrenclave: mrenclave ? JSON.stringify(mrenclave) : '' });
  const enclaves = {
    scone: enclaveConfig({ framework: 'SCONE', version: 'v5', entrypoint: 'python3 /app/app.py' }),
    sconeV6: enclaveConfig({ framework: 'SCONE', version: 'v6', entrypoint: '/app/run.sh', heapSize: 536870912 }),
    sconeV999: enclaveConfig({ framework: 'SCONE', version: 'v999' }),
    gramine: enclaveConfig({ framework: 'GRAMINE', version: 'v1', entrypoint: '/apploader.sh' }),
  };
  const apps = {
    scone: await app(enclaves.scone), sconeV6: await app(enclaves.sconeV6), sconeV999: await app(enclaves.sconeV999),
    gramine: await app(enclaves.gramine), tdx: await app(null), plain: await app(null),
    sconeR: await app(enclaveConfig({ framework: 'SCONE', version: 'v5' })),
  };
  const dsText = await createDataset(chain, { multiaddr: `https://datasets.e2e.test/ds-${crypto.randomBytes(4).toString('hex')}.zip` });
  const dsIpfs = await createDataset(chain, { multiaddr: IPFS_MULTIADDR });
  const dsNoKey = await createDataset(chain);
  const dsR = await createDataset(chain);
  const assetsMs = Date.now() - t0;
  const secrets = makeSecrets(sent);
  const datasets = {
    text: { address: dsText.address, url: dsText.multiaddr, checksum: dsText.checksum, key: secrets.dsTextKey },
    ipfs: { address: dsIpfs.address, url: IPFS_MULTIADDR, checksum: dsIpfs.checksum, key: secrets.dsIpfsKey },
    noKey: { address: dsNoKey.address },
    r: { address: dsR.address, url: dsR.multiaddr, checksum: dsR.checksum, key: secrets.dsRKey },
  };

  const t1 = Date.now();
  // params: the string on chain; paramsObject: what the daemon must parse out of it (null when
  // the string must fall back to plain arguments, 4.12).
  const deal = async (name, o) => ({
    name,
    ...(await dm.makeDeal({ workerpool, ...o, app: o.app.address, dataset: o.dataset ? o.dataset.address : null })),
    paramsObject: typeof o.params === 'string' ? null : (o.params ?? {}),
    appInfo: o.app,
    datasetInfo: o.dataset || null,
  });
  const full = {
    iexec_args: '--verbose --mode=e2e', iexec_input_files: INPUT_FILES,
    iexec_secrets: { 1: 'req-api-key', 2: 'req-db-pass', 3: 'req-missing' },
    iexec_result_encryption: true, iexec_result_storage_provider: 'ipfs',
  };
  const deals = {
    // Scone: dataset + input files + requester secrets + encryption; task 1 never initialized.
    S1: await deal('S1', { tee: 'scone', app: apps.scone, dataset: datasets.text, params: full, volume: 2, init: [0] }),
    // Scone, pipeline v6, no dataset, callback; 4 tasks (sessions, RPC counts, no challenge, FAILED at the end).
    S2: await deal('S2', { tee: 'scone', app: apps.sconeV6, params: { iexec_args: 'cb' }, callback: CALLBACK, volume: 4, init: [0, 1, 2, 3] }),
    // Scone, binary /ipfs/ multiaddr dataset, Dropbox storage.
    S3: await deal('S3', { tee: 'scone', app: apps.scone, dataset: datasets.ipfs, params: { iexec_result_storage_provider: 'dropbox' } }),
    // Scone, params with an unknown key: the whole string becomes the arguments (4.12 fallback).
    S4: await deal('S4', { tee: 'scone', app: apps.scone, params: '{"iexec_args":"a b","iexec_secrets":{"1":"req-api-key"},"iexec_result_encryption":true,"unknown_key":1}' }),
    // Scone, its own app and dataset: nothing of it is read before the JSON-RPC counting case.
    R: await deal('R', { tee: 'scone', app: apps.sconeR, dataset: datasets.r, params: { iexec_result_storage_provider: 'ipfs' }, volume: 2, init: [0, 1] }),
    none: await deal('none', { tee: 'none', app: apps.plain }),
    noKey: await deal('noKey', { tee: 'scone', app: apps.scone, dataset: datasets.noKey }),
    v999: await deal('v999', { tee: 'scone', app: apps.sconeV999, params: { iexec_result_storage_provider: 'ipfs' } }),
    noEnclave: await deal('noEnclave', { tee: 'scone', app: apps.plain, params: { iexec_result_storage_provider: 'ipfs' } }),
    G1: await deal('G1', { tee: 'gramine', app: apps.gramine, params: { iexec_secrets: { 1: 'req-db-pass' }, iexec_result_encryption: true, iexec_result_storage_provider: 'ipfs' } }),
    G2: await deal('G2', { tee: 'gramine', app: apps.gramine, dataset: datasets.text, params: { iexec_input_files: INPUT_FILES.slice(0, 1), iexec_result_storage_provider: 'ipfs' } }),
    G3: await deal('G3', { tee: 'gramine', app: apps.gramine, dataset: datasets.noKey, params: { iexec_result_storage_provider: 'ipfs' } }),
    T1: await deal('T1', { tee: 'tdx', app: apps.tdx, dataset: datasets.ipfs, params: { ...full, iexec_secrets: { 2: 'req-api-key' } } }),
    T2: await deal('T2', { tee: 'tdx', app: apps.tdx, params: {}, callback: CALLBACK }),
  };
  return { workerpool, apps, enclaves, datasets, secrets, deals, timings: { assetsMs, dealsMs: Date.now() - t1 } };
}

/**
 * Push the world's secrets to one daemon. With useSdk, the dataset key, the app secret and the
 * result key go through the real SDK; everything else is a raw signed request. Returns the
 * list of answers that were not 204 (empty when all went well).
 */
export async function pushSecrets(world, smsURL, framework, { useSdk = false, chain } = {}) {
  const s = world.secrets;
  const requester = addressOf('requester');
  const bad = [];
  const check = async (what, p) => {
    try {
      const r = await p;
      if (r && r.status !== undefined && r.status !== 204) bad.push(`${what}: ${r.status} ${r.text}`);
    } catch (e) {
      bad.push(`${what}: ${e.message}`);
    }
  };
  const appAddr = framework === 'scone' ? world.apps.scone.address : world.apps[framework].address;
  if (useSdk) {
    await check('SDK dataset key', sdkFor(chain, 'datasetOwner', smsURL).dataset.pushDatasetSecret(world.datasets.text.address, s.dsTextKey));
    await check('SDK app secret', sdkFor(chain, 'appOwner', smsURL).app.pushAppSecret(appAddr, s.appSecret[framework]));
    await check('SDK result key', sdkFor(chain, 'requester', smsURL).result.pushResultEncryptionKey(s.resultKeyPem));
  } else {
    await check('dataset key', pushWeb3(smsURL, 'datasetOwner', world.datasets.text.address, s.dsTextKey));
    await check('app secret', pushAppSecret(smsURL, 'appOwner', appAddr, s.appSecret[framework]));
    await check('result key', pushWeb2(smsURL, 'requester', requester, NAMES.resultKey, s.resultKey));
  }
  await check('dataset key (ipfs)', pushWeb3(smsURL, 'datasetOwner', world.datasets.ipfs.address, s.dsIpfsKey));
  await check('dataset key (R)', pushWeb3(smsURL, 'datasetOwner', world.datasets.r.address, s.dsRKey));
  for (const [k, v] of Object.entries(s.requester)) await check(`requester ${k}`, pushRequesterSecret(smsURL, 'requester', requester, k, v));
  await check('requester ipfs token', pushWeb2(smsURL, 'requester', requester, NAMES.ipfs, s.requesterIpfs));
  await check('worker ipfs token', pushWeb2(smsURL, 'worker', addressOf('worker'), NAMES.ipfs, s.workerIpfs));
  await check('dropbox token', pushWeb2(smsURL, 'requester', requester, NAMES.dropbox, s.dropbox));
  await check('pool proxy URL', pushWeb2(smsURL, 'workerpoolOwner', addressOf('workerpoolOwner'), NAMES.proxyUrl, s.proxyUrl));
  return bad;
}

export const lower = (a) => (a ? a.toLowerCase() : a);
export const zero = ethers.ZeroAddress;

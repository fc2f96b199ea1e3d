// On-chain assets the SMS reads, created through the real SDK on a PoCo deployment:
// apps (owner() = app owner, optional TEE enclave JSON), datasets, workerpools.
// Each function makes a new asset with a unique name, so tests can create as many as they need
// on one chain. Later fixtures (orders, deals, tasks) are meant to be added next to these.
import crypto from 'node:crypto';
import { addressOf } from './accounts.mjs';
import { sdkFor } from './sdk.mjs';

const sha256 = (s) => crypto.createHash('sha256').update(s).digest('hex');
const uniqueSuffix = () => crypto.randomBytes(6).toString('hex');

/**
 * New app owned by `owner` (role name). opts.mrenclave: enclave JSON string or object stored
 * in App.m_appMREnclave (default: none, i.e. a standard app).
 * Returns { address, owner, name, multiaddr, checksum, mrenclave, txHash }.
 */
export async function createApp(chain, { owner = 'appOwner', mrenclave = '', name } = {}) {
  const suffix = uniqueSuffix();
  const app = {
    owner: addressOf(owner),
    name: name || `sms-e2e-app-${suffix}`,
    type: 'DOCKER',
    multiaddr: `docker.io/iexechub/sms-e2e-app:${suffix}`,
    checksum: `0x${sha256(`app-${suffix}`)}`,
    mrenclave: typeof mrenclave === 'string' ? mrenclave : JSON.stringify(mrenclave),
  };
  const { address, txHash } = await sdkFor(chain, owner).app.deployApp(app);
  return { address, ...app, txHash };
}

/**
 * New dataset owned by `owner`. opts.multiaddr: what the SDK stores (a valid multiaddr such as
 * /ipfs/Qm... is stored binary, anything else as UTF-8 text); default a unique text one.
 * Returns { address, owner, name, multiaddr, checksum, txHash }.
 */
export async function createDataset(chain, { owner = 'datasetOwner', name, multiaddr } = {}) {
  const suffix = uniqueSuffix();
  const dataset = {
    owner: addressOf(owner),
    name: name || `sms-e2e-dataset-${suffix}`,
    multiaddr: multiaddr || `/ipfs/QmW2WQi7j6c7UgJTarActp7tDNikE4B2qXtFCfLPdsgaTQ#${suffix}`,
    checksum: `0x${sha256(`dataset-${suffix}`)}`,
  };
  const { address, txHash } = await sdkFor(chain, owner).dataset.deployDataset(dataset);
  return { address, ...dataset, txHash };
}

/** New workerpool owned by `owner`. Returns { address, owner, description, txHash }. */
export async function createWorkerpool(chain, { owner = 'workerpoolOwner', description } = {}) {
  const wp = { owner: addressOf(owner), description: description || `sms-e2e-workerpool-${uniqueSuffix()}` };
  const { address, txHash } = await sdkFor(chain, owner).workerpool.deployWorkerpool(wp);
  return { address, ...wp, txHash };
}

/** One app, one dataset and one workerpool, each with the default owner role. */
export async function createAssets(chain, opts = {}) {
  const app = await createApp(chain, opts.app);
  const dataset = await createDataset(chain, opts.dataset);
  const workerpool = await createWorkerpool(chain, opts.workerpool);
  return { app, dataset, workerpool };
}

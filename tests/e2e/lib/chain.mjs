// The chain a test file runs against: either a fresh anvil + PoCo deployment in a temporary
// state dir (the default), or an existing one named by E2E_CHAIN_STATE_DIR (a state dir with
// chain.env and deployment.json, e.g. from chain/start-anvil.sh + chain/deploy.mjs).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAnvil, stopAnvil, chainInfo } from '../chain/lib/anvil.mjs';
import { deployPoco } from '../chain/lib/poco.mjs';
import { provider } from '../chain/lib/eth.mjs';
import { readJson, writeJson } from '../chain/lib/state.mjs';

/**
 * Returns { chain: { rpcUrl, hub, chainId }, dir, owned, dumpFile, timings, teardown() }.
 * owned: this process started the node (it may then stop and restart it).
 */
export async function setupChain({ ttl = 900 } = {}) {
  const timings = {};
  const reuse = process.env.E2E_CHAIN_STATE_DIR;
  if (reuse) {
    const dir = path.resolve(reuse);
    const info = chainInfo(dir);
    const dep = readJson('deployment.json', dir);
    return {
      chain: { rpcUrl: info.rpcUrl, hub: dep.hub, chainId: dep.chainId }, dir, owned: false, dumpFile: null, timings,
      teardown: async () => {},
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sms-e2e-chain-'));
  const dumpFile = path.join(dir, 'anvil-state.json');
  let t = Date.now();
  const info = await startAnvil(dir, { ttl, dumpState: dumpFile });
  timings.anvilMs = Date.now() - t;
  t = Date.now();
  const prov = provider(info.rpcUrl);
  let dep;
  try {
    dep = { rpcUrl: info.rpcUrl, ...(await deployPoco(prov)) };
  } catch (e) {
    await stopAnvil(dir);
    throw e;
  } finally {
    prov.destroy();
  }
  writeJson('deployment.json', dep, dir);
  timings.deployMs = Date.now() - t;
  return {
    chain: { rpcUrl: info.rpcUrl, hub: dep.hub, chainId: dep.chainId }, dir, owned: true, dumpFile, timings,
    teardown: async () => {
      await stopAnvil(dir);
      if (!process.env.E2E_KEEP) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

#!/usr/bin/env node
// Create an app, a dataset and a workerpool through the real SDK on the PoCo deployment of the
// state dir (deploy.mjs), owned by anvil accounts 1, 2 and 3 (lib/accounts.mjs).
//
//   node chain/fixtures.mjs [--mrenclave '<json>']
//
// Writes <state>/fixtures.json (assets + every account's address and key) and prints it.
// Env: CHAIN_STATE_DIR, RPC_URL, FIXTURES_TIMEOUT seconds (default 120).
import { createAssets } from './lib/fixtures.mjs';
import { accountTable } from './lib/accounts.mjs';
import { rpcUrl, readJson, writeJson, deadline } from './lib/state.mjs';

deadline(Number(process.env.FIXTURES_TIMEOUT || 120), 'fixtures.mjs');
const argv = process.argv.slice(2);
const i = argv.indexOf('--mrenclave');
const mrenclave = i >= 0 ? argv[i + 1] : '';
const dep = readJson('deployment.json');
const chain = { rpcUrl: rpcUrl(), hub: dep.hub, chainId: dep.chainId };
const t0 = Date.now();
const assets = await createAssets(chain, { app: { mrenclave } });
const out = { ...chain, ...assets, accounts: accountTable(), seconds: (Date.now() - t0) / 1000 };
const file = writeJson('fixtures.json', out);
console.error(`fixtures: app ${assets.app.address}, dataset ${assets.dataset.address}, workerpool ${assets.workerpool.address} in ${out.seconds} s -> ${file}`);
console.log(JSON.stringify(out, null, 2));

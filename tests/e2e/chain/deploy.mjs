#!/usr/bin/env node
// Deploy the real PoCo 6.1.0 contracts (npm @iexec/poco) on the node of the state dir
// (start-anvil.sh), see lib/poco.mjs for the steps.
//
//   node chain/deploy.mjs            # state dir: $CHAIN_STATE_DIR or tests/e2e/state
//
// Writes <state>/deployment.json (hub, rlc, registries, facets, EIP-712 domain, owner) and prints
// it on stdout. Env: RPC_URL (else <state>/chain.env), DEPLOY_TIMEOUT seconds (default 120).
import { deployPoco } from './lib/poco.mjs';
import { provider } from './lib/eth.mjs';
import { rpcUrl, writeJson, deadline, stateDir } from './lib/state.mjs';

deadline(Number(process.env.DEPLOY_TIMEOUT || 120), 'deploy.mjs');
const url = rpcUrl();
const prov = provider(url);
console.error(`deploy: PoCo on ${url}`);
const dep = { rpcUrl: url, ...(await deployPoco(prov, { log: (l) => console.error(l) })) };
const file = writeJson('deployment.json', dep);
console.error(`deploy: hub ${dep.hub}, ${dep.selectorCount} selectors, ${dep.deploySeconds} s -> ${file} (state ${stateDir()})`);
console.log(JSON.stringify(dep, null, 2));
prov.destroy();

// The real iExec PoCo contracts from npm @iexec/poco (token mode), deployed as published.
//
// The steps follow PoCo's own deploy/0_deploy.ts of v6.1.0 for a local token chain, with one
// difference: contracts are created by plain CREATE transactions of the deployer instead of
// through the CreateX factory, so addresses differ from the public chains (the code is the same).
//
//   1. RLC test token (npm rlc-faucet-contract, what PoCo itself uses on local chains)
//   2. Diamond proxy (EIP-2535) with the DiamondCut / DiamondLoupe / Ownership facets and DiamondInit
//   3. IexecLibOrders_v5, then each PoCo facet linked against it and cut into the proxy
//   4. App / Dataset / Workerpool registries: initialize(0x0), setBaseURI
//   5. configure(token, "Staked RLC", "SRLC", 9, registries, 0x0) and the five categories
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { ethers } from 'ethers';
import { wallet, waitTx } from './eth.mjs';
import { keyOf, addressOf, ROLES } from './accounts.mjs';

const require = createRequire(import.meta.url);
export const POCO_DIR = path.dirname(require.resolve('@iexec/poco/package.json'));
export const POCO_VERSION = JSON.parse(fs.readFileSync(path.join(POCO_DIR, 'package.json'), 'utf8')).version;

/** Hardhat artifact of a PoCo contract, by its path under contracts/ without .sol, e.g. 'facets/IexecPoco1Facet'. */
export function pocoArtifact(rel) {
  const file = path.join(POCO_DIR, 'artifacts', 'contracts', `${rel}.sol`, `${path.basename(rel)}.json`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * The diamond's own facets come from @mudgen/diamond-1, a GitHub-only package that is not
 * installed (package.json overrides it with an empty stub), so they have no artifact. PoCo's
 * deployment records (hardhat-deploy JSON) carry their ABI and creation bytecode; these have no
 * constructor arguments nor linked libraries, so they can be deployed again as they are.
 */
export function pocoDeploymentRecord(name, network = 'arbitrum') {
  return JSON.parse(fs.readFileSync(path.join(POCO_DIR, 'deployments', network, `${name}.json`), 'utf8'));
}

export function rlcArtifact() {
  return JSON.parse(fs.readFileSync(require.resolve('rlc-faucet-contract/build/contracts/RLC.json'), 'utf8'));
}

/**
 * Drop the few fragments ethers cannot parse: Hardhat writes the enum type
 * "IexecLibOrders_v5.OrderOperationEnum" in some helper signatures of the interface.
 */
export function cleanAbi(abi) {
  const bad = (params = []) => params.some((p) => p.type.includes('.') || bad(p.components));
  return abi.filter((f) => !bad(f.inputs) && !bad(f.outputs));
}

/** ABI of everything behind the proxy (token flavour). */
export function hubAbi() {
  return cleanAbi(pocoArtifact('IexecInterfaceToken').abi);
}

/** Fill the library placeholders of a creation bytecode from its Hardhat linkReferences. */
export function linkBytecode(artifact, libraries) {
  let hex = artifact.bytecode.replace(/^0x/, '');
  for (const [file, libs] of Object.entries(artifact.linkReferences || {})) {
    for (const [lib, refs] of Object.entries(libs)) {
      const address = libraries[`${file}:${lib}`];
      if (!address) throw new Error(`${artifact.contractName}: no address for library ${file}:${lib}`);
      const a = address.toLowerCase().replace(/^0x/, '');
      for (const { start, length } of refs) {
        if (length !== 20) throw new Error(`${artifact.contractName}: unexpected link length ${length}`);
        hex = hex.slice(0, start * 2) + a + hex.slice((start + length) * 2);
      }
    }
  }
  if (hex.includes('__$')) throw new Error(`${artifact.contractName}: unlinked library placeholder left`);
  return `0x${hex}`;
}

/** Selectors of an ABI as PoCo's deploy script computes them (receive = 0x00000000, fallback = 0xffffffff). */
export function selectorsOf(abi) {
  const out = [];
  for (const f of abi) {
    if (f.type === 'function') out.push(ethers.FunctionFragment.from(f).selector);
    else if (f.type === 'receive') out.push('0x00000000');
    else if (f.type === 'fallback') out.push('0xffffffff');
  }
  return out;
}

// Same facets, same order as PoCo v6.1.0 deploy/0_deploy.ts on a token (non-native) chain.
export const POCO_FACETS = Object.freeze([
  'IexecAccessorsABILegacyFacet',
  'IexecCategoryManagerFacet',
  'IexecConfigurationExtraFacet',
  'IexecConfigurationFacet',
  'IexecERC20Facet',
  'IexecEscrowTokenFacet',
  'IexecOrderManagementFacet',
  'IexecPoco1Facet',
  'IexecPoco2Facet',
  'IexecPocoAccessorsFacet',
  'IexecPocoBoostFacet',
  'IexecPocoBoostAccessorsFacet',
  'IexecRelayFacet',
]);

export const CATEGORIES = Object.freeze([
  ['XS', 300], ['S', 1200], ['M', 3600], ['L', 10800], ['XL', 36000],
]);

/**
 * Deploy PoCo on the node behind `prov`. Returns the deployment description (JSON-able):
 * hub, rlc, registries, facets, EIP-712 domain, owner. `log` receives progress lines.
 */
export async function deployPoco(prov, { log = () => {} } = {}) {
  const t0 = Date.now();
  const deployer = wallet('deployer', prov);
  const deployerAddress = addressOf('deployer');
  const { chainId } = await prov.getNetwork();

  const create = async (name, abi, bytecode, args = []) => {
    const c = await new ethers.ContractFactory(abi, bytecode, deployer).deploy(...args);
    await c.waitForDeployment();
    const address = await c.getAddress();
    log(`  ${name.padEnd(30)} ${address}`);
    return { address, contract: c };
  };

  // 1. RLC
  const rlcArt = rlcArtifact();
  const rlc = await create('RLC', rlcArt.abi, rlcArt.bytecode);

  // 2. Diamond with its default facets
  const initRec = pocoDeploymentRecord('DiamondInit');
  const init = await create('DiamondInit', initRec.abi, initRec.bytecode);
  const facets = {};
  const initialCuts = [];
  for (const name of ['DiamondCutFacet', 'DiamondLoupeFacet', 'OwnershipFacet']) {
    const rec = pocoDeploymentRecord(name);
    const { address } = await create(name, rec.abi, rec.bytecode);
    facets[name] = address;
    initialCuts.push({ facetAddress: address, action: 0, functionSelectors: selectorsOf(rec.abi) });
  }
  const diamondArt = pocoArtifact('Diamond');
  const initCalldata = new ethers.Interface(initRec.abi).encodeFunctionData('init');
  const { address: hub } = await create('Diamond (IexecHub)', diamondArt.abi, diamondArt.bytecode, [
    initialCuts,
    { owner: deployerAddress, init: init.address, initCalldata },
  ]);
  const cut = new ethers.Contract(hub, pocoDeploymentRecord('DiamondCutFacet').abi, deployer);
  const loupe = new ethers.Contract(hub, pocoDeploymentRecord('DiamondLoupeFacet').abi, prov);

  // 3. Library and facets
  const libArt = pocoArtifact('libs/IexecLibOrders_v5');
  const lib = await create('IexecLibOrders_v5', libArt.abi, libArt.bytecode);
  const libraries = { 'contracts/libs/IexecLibOrders_v5.sol:IexecLibOrders_v5': lib.address };
  for (const name of POCO_FACETS) {
    const art = pocoArtifact(`facets/${name}`);
    const { address } = await create(name, art.abi, linkBytecode(art, libraries));
    facets[name] = address;
    // A selector already routed (owner(), supportsInterface...) stays with its first facet,
    // as PoCo's linkContractToProxy does; adding it twice would revert.
    const routed = new Set((await loupe.facets()).flatMap((f) => f.functionSelectors));
    const selectors = selectorsOf(art.abi).filter((s) => !routed.has(s));
    await waitTx(cut.diamondCut([{ facetAddress: address, action: 0, functionSelectors: selectors }], ethers.ZeroAddress, '0x'), `diamondCut ${name}`);
  }
  const routedFacets = await loupe.facets();
  const selectorCount = routedFacets.reduce((n, f) => n + f.functionSelectors.length, 0);

  // 4. Registries
  const registries = {};
  for (const [name, kind] of [['AppRegistry', 'app'], ['DatasetRegistry', 'dataset'], ['WorkerpoolRegistry', 'workerpool']]) {
    const art = pocoArtifact(`registries/${kind}s/${name}`);
    const { address, contract } = await create(name, art.abi, art.bytecode);
    await waitTx(contract.initialize(ethers.ZeroAddress), `${name}.initialize`);
    await waitTx(contract.setBaseURI(`https://nfts-metadata.iex.ec/${kind}/${chainId}/`), `${name}.setBaseURI`);
    registries[name] = address;
  }

  // 5. Configuration and categories
  const iexec = new ethers.Contract(hub, hubAbi(), deployer);
  await waitTx(iexec.configure(rlc.address, 'Staked RLC', 'SRLC', 9,
    registries.AppRegistry, registries.DatasetRegistry, registries.WorkerpoolRegistry, ethers.ZeroAddress), 'configure');
  for (const [name, workClockTimeRef] of CATEGORIES) {
    await waitTx(iexec.createCategory(name, JSON.stringify(''), workClockTimeRef), `createCategory ${name}`);
  }

  // Read back through the proxy: proves the facets answer.
  const domain = await iexec.domain();
  const checks = {
    token: await iexec.token(),
    appregistry: await iexec.appregistry(),
    datasetregistry: await iexec.datasetregistry(),
    workerpoolregistry: await iexec.workerpoolregistry(),
    countCategory: Number(await iexec.countCategory()),
    owner: await iexec.owner(),
    separator: await iexec.eip712domain_separator(),
  };
  if (checks.token !== rlc.address || checks.appregistry !== registries.AppRegistry
      || checks.datasetregistry !== registries.DatasetRegistry || checks.workerpoolregistry !== registries.WorkerpoolRegistry
      || checks.countCategory !== CATEGORIES.length || checks.owner !== deployerAddress || checks.separator === ethers.ZeroHash) {
    throw new Error(`hub misconfigured after deployment: ${JSON.stringify(checks)}`);
  }

  return {
    pocoVersion: POCO_VERSION,
    chainId: Number(chainId),
    hub,
    rlc: rlc.address,
    appRegistry: registries.AppRegistry,
    datasetRegistry: registries.DatasetRegistry,
    workerpoolRegistry: registries.WorkerpoolRegistry,
    iexecLibOrders: lib.address,
    diamondInit: init.address,
    facets,
    selectorCount,
    owner: { address: deployerAddress, privateKey: keyOf('deployer'), anvilIndex: ROLES.deployer },
    eip712Domain: {
      name: domain.name,
      version: domain.version,
      chainId: Number(domain.chainId),
      verifyingContract: domain.verifyingContract,
      separator: checks.separator,
    },
    categories: CATEGORIES.map(([name, workClockTimeRef], id) => ({ id, name, workClockTimeRef })),
    deploySeconds: (Date.now() - t0) / 1000,
  };
}

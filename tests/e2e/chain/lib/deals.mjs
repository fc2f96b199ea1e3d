// Deals and tasks on the local PoCo: orders signed with ethers (orders.mjs) for any tag,
// matched on the hub by the requester, tasks initialized by the workerpool owner (the
// scheduler's role), and a task pushed past its final deadline and claimed (status FAILED).
// Assets (app with enclave JSON, dataset, workerpool) come from fixtures.mjs.
import crypto from 'node:crypto';
import { ethers } from 'ethers';
import { keyOf, addressOf } from './accounts.mjs';
import { waitTx } from './eth.mjs';
import { hubAbi } from './poco.mjs';
import { tagOf, signOrder, randomSalt, NO_DATASET_ORDER } from './orders.mjs';

export const TASK_STATUS = Object.freeze(['UNSET', 'ACTIVE', 'REVEALING', 'COMPLETED', 'FAILED']);

/** App enclave JSON (tee-sessions.md 4.11) with a random fingerprint unless given. */
export function enclaveConfig({ framework = 'SCONE', version = 'v5', entrypoint = 'python3 /app/app.py', heapSize = 1073741824, fingerprint } = {}) {
  return { framework, version, entrypoint, heapSize, fingerprint: fingerprint || crypto.randomBytes(32).toString('hex') };
}

export const taskIdOf = (dealid, idx) => ethers.solidityPackedKeccak256(['bytes32', 'uint256'], [dealid, idx]);

/**
 * Bound to one chain ({ rpcUrl, hub }). Returns { makeDeal, initialize, viewTask, viewDeal,
 * failTask, close }. Calls must not overlap (one nonce sequence per role).
 */
export function dealMaker(chain) {
  // No response cache: ethers otherwise reuses an eth_getTransactionCount answer for 250 ms,
  // and back-to-back transactions of one account would get the same nonce.
  const prov = new ethers.JsonRpcProvider(chain.rpcUrl, undefined, { staticNetwork: true, pollingInterval: 100, cacheTimeout: -1 });
  const signer = (role) => new ethers.Wallet(keyOf(role), prov);
  const hub = (runner = prov) => new ethers.Contract(chain.hub, hubAbi(), runner);
  let domain;
  const getDomain = async () => {
    if (!domain) {
      const d = await hub().domain();
      domain = { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
    }
    return domain;
  };

  async function initialize(dealid, idx) {
    await waitTx(hub(signer('workerpoolOwner')).initialize(dealid, idx), `initialize ${idx}`);
    return taskIdOf(dealid, idx);
  }

  /**
   * opts: tee ('scone' | 'gramine' | 'tdx' | 'none' | bytes32), app, dataset (address or null),
   * workerpool, params (object or string; default {}), callback (address; default none),
   * volume (1), init (task indexes to initialize, default [0]), category (0), trust (0),
   * botFirst is always 0 in PoCo for a fresh request.
   * Returns { dealid, tag, params, callback, volume, tasks: [{ idx, taskid, initialized }] }.
   */
  async function makeDeal(opts) {
    const { tee = 'scone', app, dataset = null, workerpool, params = {}, callback = ethers.ZeroAddress,
      volume = 1, init = [0], category = 0, trust = 0 } = opts;
    const tag = tagOf(tee);
    const isTee = (BigInt(tag) & 1n) === 1n;
    const paramsText = typeof params === 'string' ? params : JSON.stringify(params);
    const d = await getDomain();
    const Z = ethers.ZeroAddress;
    const apporder = await signOrder(signer('appOwner'), d, 'AppOrder', {
      app, appprice: 0n, volume: 1000n, tag, datasetrestrict: Z, workerpoolrestrict: Z, requesterrestrict: Z, salt: randomSalt(),
    });
    const datasetorder = dataset ? await signOrder(signer('datasetOwner'), d, 'DatasetOrder', {
      dataset, datasetprice: 0n, volume: 1000n, tag: isTee ? tagOf('tee') : ethers.ZeroHash,
      apprestrict: Z, workerpoolrestrict: Z, requesterrestrict: Z, salt: randomSalt(),
    }) : NO_DATASET_ORDER;
    const workerpoolorder = await signOrder(signer('workerpoolOwner'), d, 'WorkerpoolOrder', {
      workerpool, workerpoolprice: 0n, volume: BigInt(volume), tag, category: BigInt(category), trust: BigInt(trust),
      apprestrict: Z, datasetrestrict: Z, requesterrestrict: Z, salt: randomSalt(),
    });
    const requester = addressOf('requester');
    const requestorder = await signOrder(signer('requester'), d, 'RequestOrder', {
      app, appmaxprice: 0n, dataset: dataset || Z, datasetmaxprice: 0n, workerpool, workerpoolmaxprice: 0n,
      requester, volume: BigInt(volume), tag, category: BigInt(category), trust: BigInt(trust),
      beneficiary: requester, callback, params: paramsText, salt: randomSalt(),
    });
    const asRequester = hub(signer('requester'));
    const rcpt = await waitTx(asRequester.matchOrders(apporder, datasetorder, workerpoolorder, requestorder), 'matchOrders');
    const ev = rcpt.logs.map((l) => { try { return asRequester.interface.parseLog(l); } catch { return null; } })
      .find((e) => e && e.name === 'OrdersMatched');
    if (!ev) throw new Error('matchOrders: no OrdersMatched event');
    const dealid = ev.args.dealid;
    const tasks = [];
    for (let idx = 0; idx < volume; idx++) {
      const initialized = init.includes(idx);
      if (initialized) await initialize(dealid, idx);
      tasks.push({ idx, taskid: taskIdOf(dealid, idx), initialized });
    }
    return { dealid, tag, params: paramsText, callback, volume, dataset, app, tasks };
  }

  async function viewTask(taskid) {
    const t = await hub().viewTask(taskid);
    return { status: TASK_STATUS[Number(t.status)], dealid: t.dealid, idx: Number(t.idx), finalDeadline: Number(t.finalDeadline) };
  }

  const viewDeal = (dealid) => hub().viewDeal(dealid);

  /**
   * Move the chain clock past the task's final deadline and claim it: status FAILED. This moves
   * the clock of the whole chain (every other task's deadlines pass too): call it last.
   */
  async function failTask(taskid) {
    const { finalDeadline } = await viewTask(taskid);
    const block = await prov.getBlock('latest');
    const jump = Math.max(1, finalDeadline - Number(block.timestamp) + 1);
    await prov.send('evm_increaseTime', [jump]);
    await prov.send('evm_mine', []);
    await waitTx(hub(signer('outsider')).claim(taskid), 'claim');
    return viewTask(taskid);
  }

  return { makeDeal, initialize, viewTask, viewDeal, failTask, close: () => prov.destroy() };
}

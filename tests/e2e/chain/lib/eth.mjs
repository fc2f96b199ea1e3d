// Small ethers helpers shared by the deploy and fixture code.
import { ethers } from 'ethers';
import { keyOf } from './accounts.mjs';

/** Provider for a local node: no network auto-detection, short polling (anvil mines at once). */
export function provider(url) {
  return new ethers.JsonRpcProvider(url, undefined, { staticNetwork: true, pollingInterval: 100 });
}

/** Wallet of a role, behind a NonceManager so back-to-back transactions do not reuse a nonce. */
export function wallet(role, prov) {
  return new ethers.NonceManager(new ethers.Wallet(keyOf(role), prov));
}

/** Send, wait for the receipt, fail on revert. */
export async function waitTx(txPromise, what = 'transaction') {
  const tx = await txPromise;
  const receipt = await tx.wait();
  if (!receipt || receipt.status !== 1) throw new Error(`${what} reverted`);
  return receipt;
}

/** eth_call of owner() (selector 0x8da5cb5b) on any contract: what the SMS reads for apps and datasets. */
export async function ownerOf(prov, contract) {
  const c = new ethers.Contract(contract, ['function owner() view returns (address)'], prov);
  return c.owner();
}

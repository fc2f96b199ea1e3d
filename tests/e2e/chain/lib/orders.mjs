// PoCo v5 orders as EIP-712 typed data (struct definitions of IexecLibOrders_v5.sol), signed
// with ethers. The SDK 9 only signs TDX orders and refuses apps with an enclave JSON in its
// order helpers, while PoCo itself takes any tag: Scone and Gramine deals are made this way.
import { ethers } from 'ethers';

export const ORDER_TYPES = Object.freeze({
  AppOrder: [
    ['app', 'address'], ['appprice', 'uint256'], ['volume', 'uint256'], ['tag', 'bytes32'],
    ['datasetrestrict', 'address'], ['workerpoolrestrict', 'address'], ['requesterrestrict', 'address'], ['salt', 'bytes32'],
  ],
  DatasetOrder: [
    ['dataset', 'address'], ['datasetprice', 'uint256'], ['volume', 'uint256'], ['tag', 'bytes32'],
    ['apprestrict', 'address'], ['workerpoolrestrict', 'address'], ['requesterrestrict', 'address'], ['salt', 'bytes32'],
  ],
  WorkerpoolOrder: [
    ['workerpool', 'address'], ['workerpoolprice', 'uint256'], ['volume', 'uint256'], ['tag', 'bytes32'],
    ['category', 'uint256'], ['trust', 'uint256'], ['apprestrict', 'address'], ['datasetrestrict', 'address'],
    ['requesterrestrict', 'address'], ['salt', 'bytes32'],
  ],
  RequestOrder: [
    ['app', 'address'], ['appmaxprice', 'uint256'], ['dataset', 'address'], ['datasetmaxprice', 'uint256'],
    ['workerpool', 'address'], ['workerpoolmaxprice', 'uint256'], ['requester', 'address'], ['volume', 'uint256'],
    ['tag', 'bytes32'], ['category', 'uint256'], ['trust', 'uint256'], ['beneficiary', 'address'],
    ['callback', 'address'], ['params', 'string'], ['salt', 'bytes32'],
  ],
});

/** Deal tags (tee-sessions.md 4.9): bit 0 TEE, bit 1 Scone, bit 2 Gramine, bit 3 TDX. */
export const TAGS = Object.freeze({
  none: ethers.ZeroHash,
  tee: ethers.zeroPadValue('0x01', 32),
  scone: ethers.zeroPadValue('0x03', 32),
  gramine: ethers.zeroPadValue('0x05', 32),
  tdx: ethers.zeroPadValue('0x09', 32),
});

export function tagOf(tee) {
  if (tee in TAGS) return TAGS[tee];
  if (/^0x[0-9a-fA-F]{64}$/.test(tee)) return tee.toLowerCase();
  throw new Error(`unknown tag ${tee}`);
}

/** EIP-712 signature of `order` (without sign) by `signer`; returns the order with its sign. */
export async function signOrder(signer, domain, type, order) {
  const types = { [type]: ORDER_TYPES[type].map(([name, t]) => ({ name, type: t })) };
  const value = Object.fromEntries(ORDER_TYPES[type].map(([name]) => {
    if (!(name in order)) throw new Error(`${type}: missing ${name}`);
    return [name, order[name]];
  }));
  return { ...value, sign: await signer.signTypedData(domain, types, value) };
}

export const randomSalt = () => ethers.hexlify(ethers.randomBytes(32));

/** The "no dataset" order matchOrders expects when the request has no dataset. */
export const NO_DATASET_ORDER = Object.freeze({
  dataset: ethers.ZeroAddress, datasetprice: 0n, volume: 0n, tag: ethers.ZeroHash, apprestrict: ethers.ZeroAddress,
  workerpoolrestrict: ethers.ZeroAddress, requesterrestrict: ethers.ZeroAddress, salt: ethers.ZeroHash, sign: '0x',
});

// Signed secret requests built independently of the SDK (sms-api.md 5.1, 5.3): used for the
// raw-HTTP cases where the exact status and body matter.
import { ethers } from 'ethers';

const D = ethers.keccak256(ethers.toUtf8Bytes('IEXEC_SMS_DOMAIN'));
const h = (s) => ethers.keccak256(typeof s === 'string' ? ethers.toUtf8Bytes(s) : s);
const cat = (...parts) => ethers.keccak256(ethers.concat(parts));

export const challenges = {
  web3: (address, value) => cat(D, address, h(value)),
  web2: (owner, name, value) => cat(D, owner, h(name), h(value)),
  app: (app, value) => cat(D, app.toLowerCase(), h('1'), h(value)),
  requester: (requester, key, value) => cat(D, requester.toLowerCase(), h(key), h(value)),
};

/** EIP-191 personal_sign of the 32 challenge bytes, as the SDK sends it in Authorization. */
export function sign(privateKey, challenge) {
  return new ethers.Wallet(privateKey).signMessage(ethers.getBytes(challenge));
}

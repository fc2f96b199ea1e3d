// The real iExec SDK (npm iexec, JS API) bound to the local chain, one instance per signer.
import { IExec, utils } from 'iexec';
import { keyOf } from './accounts.mjs';

// Nothing reaches this URL: it only fills the SDK's smsURL when the caller does not talk to an SMS.
export const UNUSED_SMS_URL = 'http://127.0.0.1:9';

/**
 * IExec instance signing with a role's key (or a raw 0x private key) on chain `chain`
 * ({ rpcUrl, hub }), talking to the SMS at smsURL. The SDK knows no chain 31337, so the hub
 * address is given explicitly; the SMS URL too (it would otherwise be looked up per chain).
 */
export function sdkFor(chain, role, smsURL = UNUSED_SMS_URL) {
  const pk = typeof role === 'string' && role.startsWith('0x') ? role : keyOf(role);
  return new IExec(
    { ethProvider: utils.getSignerFromPrivateKey(chain.rpcUrl, pk) },
    { hubAddress: chain.hub, smsURL },
  );
}

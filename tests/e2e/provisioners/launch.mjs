#!/usr/bin/env node
// Run the provisioner stand-ins by hand, e.g. next to `make run`:
//
//   node provisioners/launch.mjs [cas] [sps] [tdx] [--dir DIR]
//
// Makes a test PKI in DIR (default: a new temporary directory), starts the servers on free
// loopback ports, prints the daemon environment that points at them, and logs each received
// document's verdict until Ctrl-C.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makePki } from './certs.mjs';
import { startCas } from './cas.mjs';
import { startSps } from './sps.mjs';
import { startTdx } from './tdx.mjs';

const argv = process.argv.slice(2);
const di = argv.indexOf('--dir');
const dir = di >= 0 ? path.resolve(argv[di + 1]) : fs.mkdtempSync(path.join(os.tmpdir(), 'sms-provisioners-'));
const which = argv.filter((a, i) => !a.startsWith('--') && (di < 0 || i !== di + 1));
const want = which.length ? which : ['cas', 'sps', 'tdx'];
const pki = makePki(dir);
const servers = [];
const env = {};
if (want.includes('cas')) {
  const cas = await startCas({ pki });
  servers.push(cas);
  Object.assign(env, {
    'scone: IEXEC_SECRET_PROVISIONER_WEB_HOSTNAME': 'localhost', 'scone: IEXEC_SECRET_PROVISIONER_WEB_PORT': cas.port,
    'scone: TEE_SCONE_ATTESTATION_URLS_0': cas.maaUrl,
  });
}
if (want.includes('sps')) {
  const sps = await startSps({ login: 'sps-user', password: 'sps-password' });
  servers.push(sps);
  Object.assign(env, {
    'gramine: IEXEC_SECRET_PROVISIONER_WEB_PORT': sps.port, 'gramine: IEXEC_GRAMINE_SPS_WEB_LOGIN': 'sps-user',
    'gramine: IEXEC_GRAMINE_SPS_WEB_PASSWORD': 'sps-password',
  });
}
if (want.includes('tdx')) {
  const tdx = await startTdx({ pki });
  servers.push(tdx);
  env['tdx: TEE_SECRETPROVISIONER_POSTURL'] = `https://localhost:${tdx.port}`;
}
Object.assign(env, {
  IEXEC_SECRET_PROVISIONER_CA_FILE: pki.caFile, IEXEC_SMS_SSL_KEYSTORE: pki.keystore,
  IEXEC_SMS_SSL_KEYSTORE_PASSWORD: pki.keystorePassword, IEXEC_SMS_SSL_KEYSTORE_ALIAS: pki.keystoreAlias,
});
console.log(`PKI in ${dir}`);
for (const [k, v] of Object.entries(env)) console.log(`${k}=${v}`);
for (const s of servers) {
  const seen = { n: 0 };
  setInterval(() => {
    for (; seen.n < s.received.length; seen.n++) {
      const e = s.received[seen.n];
      console.log(`${s.name}: ${e.method} ${e.url} -> ${e.status}${e.violations.length ? `\n  ${e.violations.join('\n  ')}` : ''}`);
    }
  }, 200);
}
process.on('SIGINT', async () => {
  await Promise.all(servers.map((s) => s.close()));
  process.exit(0);
});

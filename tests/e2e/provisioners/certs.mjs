// Test PKI for the provisioner stand-ins, made at test time with the openssl CLI (never
// committed): a server CA and the server certificate it signs (SAN localhost + 127.0.0.1), a
// separate client CA and the SMS's client certificate in a PKCS12 key store (password + alias),
// and a self-signed "rogue" client certificate that the CAS must refuse.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const DAYS = '2';
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir, args) {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

function selfSigned(dir, name, cn, ca) {
  const ext = ca
    ? ['-addext', 'keyUsage=critical,keyCertSign,cRLSign']
    : ['-addext', 'keyUsage=critical,digitalSignature', '-addext', 'extendedKeyUsage=clientAuth'];
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', DAYS, '-subj', `/CN=${cn}`, ...ext]);
}

function signed(dir, name, cn, caName, extLines) {
  fs.writeFileSync(path.join(dir, `${name}.ext`), `${[
    'basicConstraints=critical,CA:FALSE',
    'subjectKeyIdentifier=hash',
    'authorityKeyIdentifier=keyid:always',
    ...extLines,
  ].join('\n')}\n`);
  openssl(dir, ['req', '-new', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${caName}.crt`, '-CAkey', `${caName}.key`,
    '-CAcreateserial', '-days', DAYS, '-extfile', `${name}.ext`, '-out', `${name}.crt`]);
}

/**
 * Make the whole PKI in `dir`. Returns paths and PEM contents:
 * { dir, caFile, ca, serverKey, serverCert, clientCaFile, clientCa, clientKey, clientCert,
 *   keystore (.p12 path), keystorePassword, keystoreAlias, rogueKey, rogueCert, clientFingerprint }.
 */
export function makePki(dir, { alias = 'iexec-core' } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  selfSigned(dir, 'ca', 'sms-e2e server CA', true);
  signed(dir, 'server', 'localhost', 'ca', [
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=serverAuth',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  selfSigned(dir, 'client-ca', 'sms-e2e client CA', true);
  signed(dir, 'client', 'iexec-sms e2e client', 'client-ca', [
    'keyUsage=critical,digitalSignature',
    'extendedKeyUsage=clientAuth',
  ]);
  selfSigned(dir, 'rogue', 'iexec-sms e2e client', false);
  const keystorePassword = `ks-${crypto.randomBytes(9).toString('base64url')}`;
  openssl(dir, ['pkcs12', '-export', '-in', 'client.crt', '-inkey', 'client.key', '-name', alias,
    '-passout', `pass:${keystorePassword}`, '-out', 'client.p12']);
  const read = (f) => fs.readFileSync(path.join(dir, f), 'utf8');
  const clientCert = read('client.crt');
  return {
    dir,
    caFile: path.join(dir, 'ca.crt'),
    ca: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    clientCaFile: path.join(dir, 'client-ca.crt'),
    clientCa: read('client-ca.crt'),
    clientKey: read('client.key'),
    clientCert,
    clientFingerprint: new crypto.X509Certificate(clientCert).fingerprint256,
    keystore: path.join(dir, 'client.p12'),
    keystorePassword,
    keystoreAlias: alias,
    rogueKey: read('rogue.key'),
    rogueCert: read('rogue.crt'),
  };
}

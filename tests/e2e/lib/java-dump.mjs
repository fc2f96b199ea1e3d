// A backup of the Java SMS written by hand, in the reference's format (sms-api.md 7.3, 9.4): the
// H2 `SCRIPT DROP` text dump of its five tables, every secret value and challenge private key
// encrypted with AES-128-ECB / PKCS#7 under the key file's 16 bytes and base64-encoded, as in
// tests/unit/data/java-backup.sql. The key file is the base64 of the raw key, without newline.
import crypto from 'node:crypto';

/** A new random reference key: { raw (Buffer), file (the key file's text) }. */
export function javaKey() {
  const raw = crypto.randomBytes(16);
  return { raw, file: raw.toString('base64') };
}

/** What the reference stores for `plain` (UTF-8): base64(AES-128-ECB/PKCS#7(plain)). */
export function javaEncrypt(raw, plain) {
  const c = crypto.createCipheriv('aes-128-ecb', raw, null);
  return Buffer.concat([c.update(Buffer.from(plain, 'utf8')), c.final()]).toString('base64');
}

/** An SQL string literal as H2 writes it: quotes doubled, non-ASCII as a U&'..' escape. */
function lit(s) {
  if (s === null || s === undefined) return 'NULL';
  if (/^[\x20-\x7e]*$/.test(s)) return `'${s.replace(/'/g, "''")}'`;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0);
    if (ch === "'") out += "''";
    else if (ch === '\\') out += '\\\\';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += `\\${cp.toString(16).padStart(4, '0')}`;
    else out += `\\+${cp.toString(16).padStart(6, '0')}`;
  }
  return `U&'${out}'`;
}

const tinyint = (n) => `CAST(${n} AS TINYINT)`;
/** H2's TIMESTAMP WITH TIME ZONE literal of a millisecond instant (UTC). */
function timestamp(ms) {
  if (ms === null || ms === undefined) return 'NULL';
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  const s = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds(), 3)}000+00`;
  return `TIMESTAMP WITH TIME ZONE '${s}'`;
}

function insert(table, rows) {
  if (rows.length === 0) return [];
  return [
    `-- ${rows.length} +/- SELECT COUNT(*) FROM PUBLIC.${table};`,
    `INSERT INTO "PUBLIC"."${table}" VALUES`,
    ...rows.map((r, i) => `(${r.join(', ')})${i === rows.length - 1 ? ';' : ','}`),
  ];
}

/**
 * The dump text. content (plain values; this function encrypts them):
 *   web2: [{ owner, name, value }]           web2secret (owner lower-case as the reference stores it)
 *   web3: [{ address, value }]               web3secret
 *   apps: [{ app, value }]                   tee_task_compute_secret, role 0 (app developer), key '1'
 *   requesters: [{ requester, key, value }]  tee_task_compute_secret, role 1 (requester)
 *   challenges: [{ taskId, address, privateKey, deadlineMs }]  tee_challenge + ethereum_credentials
 * Returns { text, lines } (lines: the text split on '\n', for locating a statement).
 */
export function javaDump(raw, content) {
  const { web2 = [], web3 = [], apps = [], requesters = [], challenges = [] } = content;
  const enc = (v) => lit(javaEncrypt(raw, v));
  const uuid = () => crypto.randomUUID();
  const creds = challenges.map((c) => ({ ...c, credentialsId: uuid(), id: uuid() }));
  const out = [
    '-- H2 2.2.224; ',
    ';              ',
    `CREATE USER IF NOT EXISTS "SA" SALT '${crypto.randomBytes(8).toString('hex')}' HASH '${crypto.randomBytes(32).toString('hex')}' ADMIN;`,
    'DROP TABLE IF EXISTS "PUBLIC"."ethereum_credentials" CASCADE;',
    'DROP TABLE IF EXISTS "PUBLIC"."tee_challenge" CASCADE;',
    'DROP TABLE IF EXISTS "PUBLIC"."tee_task_compute_secret" CASCADE;',
    'DROP TABLE IF EXISTS "PUBLIC"."web2secret" CASCADE;',
    'DROP TABLE IF EXISTS "PUBLIC"."web3secret" CASCADE;',
    'CREATE CACHED TABLE "PUBLIC"."ethereum_credentials"(',
    '    "is_encrypted" BOOLEAN NOT NULL,',
    '    "address" CHARACTER VARYING(255),',
    '    "id" CHARACTER VARYING(255) NOT NULL,',
    '    "private_key" CHARACTER VARYING(255)',
    ');',
    'ALTER TABLE "PUBLIC"."ethereum_credentials" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_F" PRIMARY KEY("id");',
    ...insert('ethereum_credentials', creds.map((c) => ['TRUE', lit(c.address.toLowerCase()), lit(c.credentialsId), enc(c.privateKey)])),
    'CREATE CACHED TABLE "PUBLIC"."tee_challenge"(',
    '    "final_deadline" TIMESTAMP(6) WITH TIME ZONE,',
    '    "credentials_id" CHARACTER VARYING(255),',
    '    "id" CHARACTER VARYING(255) NOT NULL,',
    '    "task_id" CHARACTER VARYING(255)',
    ');',
    'ALTER TABLE "PUBLIC"."tee_challenge" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_3" PRIMARY KEY("id");',
    ...insert('tee_challenge', creds.map((c) => [timestamp(c.deadlineMs), lit(c.credentialsId), lit(c.id), lit(c.taskId)])),
    'CREATE CACHED TABLE "PUBLIC"."tee_task_compute_secret"(',
    '    "on_chain_object_type" TINYINT NOT NULL,',
    '    "secret_owner_role" TINYINT NOT NULL,',
    '    "key" CHARACTER VARYING(64) NOT NULL,',
    '    "fixed_secret_owner" CHARACTER VARYING(255) NOT NULL,',
    '    "on_chain_object_address" CHARACTER VARYING(255) NOT NULL,',
    '    "value" CHARACTER VARYING(8192) NOT NULL',
    ');',
    'ALTER TABLE "PUBLIC"."tee_task_compute_secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_D" PRIMARY KEY("fixed_secret_owner", "key", "on_chain_object_address", "on_chain_object_type", "secret_owner_role");',
    ...insert('tee_task_compute_secret', [
      ...apps.map((a) => [tinyint(0), tinyint(0), lit('1'), lit(''), lit(a.app.toLowerCase()), enc(a.value)]),
      ...requesters.map((r) => [tinyint(0), tinyint(1), lit(r.key), lit(r.requester.toLowerCase()), lit(''), enc(r.value)]),
    ]),
    'CREATE CACHED TABLE "PUBLIC"."web2secret"(',
    '    "address" CHARACTER VARYING(255) NOT NULL,',
    '    "owner_address" CHARACTER VARYING(255) NOT NULL,',
    '    "value" CHARACTER VARYING(8192)',
    ');',
    'ALTER TABLE "PUBLIC"."web2secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_8" PRIMARY KEY("address", "owner_address");',
    ...insert('web2secret', web2.map((w) => [lit(w.name), lit(w.owner.toLowerCase()), enc(w.value)])),
    'CREATE CACHED TABLE "PUBLIC"."web3secret"(',
    '    "address" CHARACTER VARYING(255) NOT NULL,',
    '    "value" CHARACTER VARYING(8192)',
    ');',
    'ALTER TABLE "PUBLIC"."web3secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_5" PRIMARY KEY("address");',
    ...insert('web3secret', web3.map((w) => [lit(w.address.toLowerCase()), enc(w.value)])),
    'ALTER TABLE "PUBLIC"."tee_challenge" ADD CONSTRAINT "PUBLIC"."UKBM2Q4G2JSSHPBTCQ0XFA5QD3O" UNIQUE("credentials_id");',
    'ALTER TABLE "PUBLIC"."tee_task_compute_secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_D4" CHECK("on_chain_object_type" BETWEEN 0 AND 0) NOCHECK;',
    'ALTER TABLE "PUBLIC"."tee_task_compute_secret" ADD CONSTRAINT "PUBLIC"."CONSTRAINT_D4F" CHECK("secret_owner_role" BETWEEN 0 AND 1) NOCHECK;',
    'ALTER TABLE "PUBLIC"."tee_challenge" ADD CONSTRAINT "PUBLIC"."FKQ6O8WSJ2BHBD3D3D8U2MFT2TC" FOREIGN KEY("credentials_id") REFERENCES "PUBLIC"."ethereum_credentials"("id") NOCHECK;',
  ];
  const text = `${out.join('\n')}\n`;
  return { text, lines: text.split('\n') };
}

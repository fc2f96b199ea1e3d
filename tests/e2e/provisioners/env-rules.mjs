// What the strict stand-ins demand of the enclave environments (tee-sessions.md 5.5-5.9,
// Appendix A): the keys each stage may and must have, their value shapes, and the values that
// must agree between stages. Shared by the CAS (Scone), SPS (Gramine) and TDX validators.
import { ethers } from 'ethers';
import { isMap, typeName } from './server.mjs';

export const JAVA_VARS = Object.freeze({
  LD_LIBRARY_PATH: '/opt/java/openjdk/lib/server:/opt/java/openjdk/lib:/opt/java/openjdk/../lib',
  JAVA_TOOL_OPTIONS: '-Xmx256m',
});

const SIGN = ['SIGN_WORKER_ADDRESS', 'SIGN_TEE_CHALLENGE_PRIVATE_KEY'];
const STAGES = {
  'pre-compute': {
    required: ['IEXEC_PRE_COMPUTE_OUT', 'IS_DATASET_REQUIRED', 'IEXEC_DEAL_ID', 'IEXEC_TASK_INDEX', 'IEXEC_TASK_ID',
      'IEXEC_INPUT_FILES_NUMBER', ...SIGN],
    optional: ['IEXEC_DATASET_KEY', 'IEXEC_DATASET_URL', 'IEXEC_DATASET_FILENAME', 'IEXEC_DATASET_CHECKSUM',
      'IEXEC_INPUT_FILES_FOLDER', 'IEXEC_BULK_SLICE_SIZE'],
    patterns: [/^IEXEC_INPUT_FILE_URL_[1-9][0-9]*$/, /^IEXEC_DATASET_[1-9][0-9]*_(URL|CHECKSUM|KEY|FILENAME)$/],
  },
  app: {
    required: ['IEXEC_DEAL_ID', 'IEXEC_TASK_INDEX', 'IEXEC_TASK_ID', 'IEXEC_IN', 'IEXEC_OUT', 'IEXEC_BOT_SIZE',
      'IEXEC_BOT_FIRST_INDEX', 'IEXEC_BOT_TASK_INDEX', 'IEXEC_DATASET_ADDRESS', 'IEXEC_DATASET_FILENAME',
      'IEXEC_INPUT_FILES_NUMBER'],
    optional: ['IEXEC_INPUT_FILES_FOLDER', 'IEXEC_APP_DEVELOPER_SECRET', 'IEXEC_APP_DEVELOPER_SECRET_1',
      'IEXEC_BULK_SLICE_SIZE'],
    patterns: [/^IEXEC_INPUT_FILE_NAME_[1-9][0-9]*$/, /^IEXEC_REQUESTER_SECRET_.+$/, /^IEXEC_DATASET_[1-9][0-9]*_FILENAME$/],
  },
  'post-compute': {
    required: ['RESULT_ENCRYPTION', 'RESULT_ENCRYPTION_PUBLIC_KEY', 'RESULT_STORAGE_CALLBACK', 'RESULT_STORAGE_PROVIDER',
      'RESULT_STORAGE_PROXY', 'RESULT_STORAGE_TOKEN', 'IEXEC_TASK_ID', ...SIGN],
    optional: [],
    patterns: [],
  },
};

const BYTES32 = /^0x[0-9a-f]{64}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;
const UINT = /^(0|[1-9][0-9]*)$/;
const BOOL = /^(true|false)$/;

/**
 * Check one stage's environment. stage: 'pre-compute' | 'app' | 'post-compute'; javaVars: the
 * Scone legacy variables must be in pre/post (true) or nowhere (false). Pushes violations to out.
 */
export function checkEnvironment(env, stage, { javaVars }, where, out) {
  if (!isMap(env)) { out.push(`${where}: environment must be a mapping, got ${typeName(env)}`); return; }
  const rule = STAGES[stage];
  const withJava = javaVars && stage !== 'app';
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(k)) out.push(`${where}: bad variable name ${JSON.stringify(k)}`);
    if (typeof v !== 'string') out.push(`${where}.${k}: value must be a string, got ${typeName(v)} ${JSON.stringify(v)}`);
    const known = rule.required.includes(k) || rule.optional.includes(k) || rule.patterns.some((p) => p.test(k))
      || (withJava && k in JAVA_VARS);
    if (!known) out.push(`${where}: variable ${k} does not belong to the ${stage} stage`);
  }
  for (const k of rule.required) if (!(k in env)) out.push(`${where}: missing ${k}`);
  if (withJava) {
    for (const [k, v] of Object.entries(JAVA_VARS)) if (env[k] !== v) out.push(`${where}.${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(env[k])}`);
  }
  const fmt = (k, re, what) => {
    if (k in env && typeof env[k] === 'string' && !re.test(env[k])) out.push(`${where}.${k}: expected ${what}, got ${JSON.stringify(env[k])}`);
  };
  fmt('IEXEC_TASK_ID', BYTES32, 'lowercase 0x + 64 hex');
  fmt('IEXEC_DEAL_ID', BYTES32, 'lowercase 0x + 64 hex');
  for (const k of ['IEXEC_TASK_INDEX', 'IEXEC_INPUT_FILES_NUMBER', 'IEXEC_BOT_SIZE', 'IEXEC_BOT_FIRST_INDEX', 'IEXEC_BOT_TASK_INDEX', 'IEXEC_BULK_SLICE_SIZE']) {
    fmt(k, UINT, 'a decimal integer');
  }
  fmt('SIGN_TEE_CHALLENGE_PRIVATE_KEY', /^0x[0-9a-fA-F]{64}$/, '0x + 64 hex');
  if (typeof env.SIGN_WORKER_ADDRESS === 'string') {
    let ok = false;
    try { ok = ethers.getAddress(env.SIGN_WORKER_ADDRESS) === env.SIGN_WORKER_ADDRESS; } catch { ok = false; }
    if (!ok) out.push(`${where}.SIGN_WORKER_ADDRESS: expected an EIP-55 checksummed address, got ${JSON.stringify(env.SIGN_WORKER_ADDRESS)}`);
  }
  const files = UINT.test(env.IEXEC_INPUT_FILES_NUMBER || '') ? Number(env.IEXEC_INPUT_FILES_NUMBER) : null;
  if (stage === 'pre-compute') checkPre(env, where, out, files);
  if (stage === 'app') checkApp(env, where, out, files);
  if (stage === 'post-compute') checkPost(env, where, out);
}

function checkInputFiles(env, where, out, files, prefix) {
  if (files === null) return;
  if (files > 0 && env.IEXEC_INPUT_FILES_FOLDER !== '/iexec_in') out.push(`${where}.IEXEC_INPUT_FILES_FOLDER: expected "/iexec_in" with ${files} input files`);
  if (files === 0 && 'IEXEC_INPUT_FILES_FOLDER' in env) out.push(`${where}: IEXEC_INPUT_FILES_FOLDER without input files`);
  const names = Object.keys(env).filter((k) => k.startsWith(prefix)).sort();
  const want = Array.from({ length: files }, (_, i) => `${prefix}${i + 1}`).sort();
  if (JSON.stringify(names) !== JSON.stringify(want)) out.push(`${where}: ${prefix}* variables ${JSON.stringify(names)} do not match IEXEC_INPUT_FILES_NUMBER=${files}`);
}

function checkPre(env, where, out, files) {
  if (env.IEXEC_PRE_COMPUTE_OUT !== '/iexec_in') out.push(`${where}.IEXEC_PRE_COMPUTE_OUT: expected "/iexec_in"`);
  const ds = ['IEXEC_DATASET_KEY', 'IEXEC_DATASET_URL', 'IEXEC_DATASET_FILENAME', 'IEXEC_DATASET_CHECKSUM'];
  if (!BOOL.test(env.IS_DATASET_REQUIRED || '')) out.push(`${where}.IS_DATASET_REQUIRED: expected "true" or "false"`);
  if (env.IS_DATASET_REQUIRED === 'true') {
    for (const k of ds) if (!env[k]) out.push(`${where}: ${k} must be non-empty when IS_DATASET_REQUIRED is "true"`);
    if (env.IEXEC_DATASET_FILENAME && !ADDRESS.test(env.IEXEC_DATASET_FILENAME)) out.push(`${where}.IEXEC_DATASET_FILENAME: expected a lowercase address`);
    if (env.IEXEC_DATASET_CHECKSUM && !BYTES32.test(env.IEXEC_DATASET_CHECKSUM)) out.push(`${where}.IEXEC_DATASET_CHECKSUM: expected 0x + 64 hex`);
  }
  if (env.IS_DATASET_REQUIRED === 'false') {
    for (const k of ds) if (k in env) out.push(`${where}: ${k} present although IS_DATASET_REQUIRED is "false"`);
  }
  checkInputFiles(env, where, out, files, 'IEXEC_INPUT_FILE_URL_');
}

function checkApp(env, where, out, files) {
  if (env.IEXEC_IN !== '/iexec_in') out.push(`${where}.IEXEC_IN: expected "/iexec_in"`);
  if (env.IEXEC_OUT !== '/iexec_out') out.push(`${where}.IEXEC_OUT: expected "/iexec_out"`);
  if (env.IEXEC_DATASET_ADDRESS !== undefined && !ADDRESS.test(env.IEXEC_DATASET_ADDRESS)) out.push(`${where}.IEXEC_DATASET_ADDRESS: expected a lowercase address`);
  if (env.IEXEC_DATASET_ADDRESS !== env.IEXEC_DATASET_FILENAME) out.push(`${where}: IEXEC_DATASET_FILENAME differs from IEXEC_DATASET_ADDRESS`);
  if (env.IEXEC_BOT_TASK_INDEX !== env.IEXEC_TASK_INDEX) out.push(`${where}: IEXEC_BOT_TASK_INDEX differs from IEXEC_TASK_INDEX`);
  if (('IEXEC_APP_DEVELOPER_SECRET' in env) !== ('IEXEC_APP_DEVELOPER_SECRET_1' in env)
      || env.IEXEC_APP_DEVELOPER_SECRET !== env.IEXEC_APP_DEVELOPER_SECRET_1) {
    out.push(`${where}: IEXEC_APP_DEVELOPER_SECRET and IEXEC_APP_DEVELOPER_SECRET_1 must come together with one value`);
  }
  checkInputFiles(env, where, out, files, 'IEXEC_INPUT_FILE_NAME_');
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('IEXEC_INPUT_FILE_NAME_') && !BYTES32.test(v)) out.push(`${where}.${k}: expected 0x + sha256 hex`);
  }
}

function checkPost(env, where, out) {
  for (const k of ['RESULT_ENCRYPTION', 'RESULT_STORAGE_CALLBACK']) {
    if (!BOOL.test(env[k] || '')) out.push(`${where}.${k}: expected "true" or "false", got ${JSON.stringify(env[k])}`);
  }
  if (env.RESULT_ENCRYPTION === 'false' && env.RESULT_ENCRYPTION_PUBLIC_KEY !== '') out.push(`${where}: RESULT_ENCRYPTION_PUBLIC_KEY must be "" without encryption`);
  if (env.RESULT_ENCRYPTION === 'true' && !env.RESULT_ENCRYPTION_PUBLIC_KEY) out.push(`${where}: RESULT_ENCRYPTION_PUBLIC_KEY empty with encryption`);
  if (env.RESULT_STORAGE_CALLBACK === 'true') {
    for (const k of ['RESULT_STORAGE_PROVIDER', 'RESULT_STORAGE_PROXY', 'RESULT_STORAGE_TOKEN']) {
      if (env[k] !== '') out.push(`${where}.${k}: must be "" in callback mode, got ${JSON.stringify(env[k])}`);
    }
  }
  if (env.RESULT_STORAGE_CALLBACK === 'false' && !env.RESULT_STORAGE_TOKEN) out.push(`${where}: RESULT_STORAGE_TOKEN empty without callback`);
}

/** Values that must agree between the stages of one session (stages: { name: env }). */
export function checkAcrossStages(stages, where, out) {
  const envs = Object.values(stages).filter(isMap);
  const same = (k, list) => {
    const vals = [...new Set(list.filter((e) => k in e).map((e) => e[k]))];
    if (vals.length > 1) out.push(`${where}: ${k} differs between stages: ${JSON.stringify(vals)}`);
  };
  same('IEXEC_TASK_ID', envs);
  for (const k of ['IEXEC_DEAL_ID', 'IEXEC_TASK_INDEX', 'IEXEC_INPUT_FILES_NUMBER']) same(k, envs);
  for (const k of SIGN) same(k, envs);
  if (isMap(stages.app)) for (const k of SIGN) if (k in stages.app) out.push(`${where}: the app stage must not receive ${k}`);
}

/* How enclave-challenge private keys are sealed at rest, shared by the TEE module (which
 * creates and opens them), the restore verification and the Java migration (which re-seal
 * or check them). Changing any of this makes every stored challenge unreadable.
 *
 *   associated data : TEE_CHALLENGE_SEAL_CONTEXT_PREFIX + task id, the task id in its
 *                     normalised form "0x" + 64 lower-case hex digits (store.h
 *                     challenge_rec.task_id)
 *   plaintext       : the private key as text, "0x" + 64 lower-case hex digits (66 bytes,
 *                     no NUL), as the reference stores it before encryption */
#ifndef SMS_TEE_CHALLENGE_CONTEXT_H
#define SMS_TEE_CHALLENGE_CONTEXT_H

#define TEE_CHALLENGE_SEAL_CONTEXT_PREFIX "tee-challenge:"
#define TEE_CHALLENGE_KEY_TEXT_LEN 66 /* "0x" + 64 hex digits */

#endif

/* A minimal JSON-RPC node on 127.0.0.1 for tests that need asset owners (owner() of
 * web3/app contracts) without a real chain. One background thread, one connection at a
 * time, "Connection: close" on every answer. */
#ifndef SMS_TEST_FAKE_RPC_H
#define SMS_TEST_FAKE_RPC_H

typedef struct fake_rpc fake_rpc;

typedef enum {
    FAKE_RPC_ANSWER = 0, /* normal JSON-RPC answers */
    FAKE_RPC_HTTP_500,   /* every request gets HTTP 500 */
    FAKE_RPC_SILENT      /* requests are read and never answered (client timeout) */
} fake_rpc_mode;

/* Listen on an ephemeral port; NULL on failure. */
fake_rpc *fake_rpc_start(void);
/* "http://127.0.0.1:<port>" (valid until fake_rpc_stop). */
const char *fake_rpc_url(const fake_rpc *r);
/* eth_call to `contract` (any case) answers {"result": result_hex} verbatim; with
 * result_hex NULL it answers a JSON-RPC error (revert). Contracts never set also get an
 * error. At most 16 contracts. */
void fake_rpc_set_result(fake_rpc *r, const char *contract, const char *result_hex);
/* owner() of contract returns `owner` ("0x" + 40 hex) as an ABI word. */
void fake_rpc_set_owner(fake_rpc *r, const char *contract, const char *owner);
void fake_rpc_set_mode(fake_rpc *r, fake_rpc_mode mode);
/* JSON-RPC calls received so far (batch elements counted one by one). */
unsigned fake_rpc_calls(fake_rpc *r);
/* Stop the thread, close the socket, free. NULL-safe. */
void fake_rpc_stop(fake_rpc *r);

#endif

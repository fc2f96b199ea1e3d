#include <string.h>

#include "api/api.h"
#include "core/hex.h"

int api_has_body(const http_request *req) { return req->body != NULL && req->body_len > 0; }

int api_address_well_formed(const char *s) { return s != NULL && address_is_40_hex_digits(s); }

#include "core/status.h"

const char *sms_status_name(sms_status st)
{
    switch (st) {
    case SMS_OK: return "OK";
    case SMS_ERR: return "ERR";
    case SMS_ENOMEM: return "ENOMEM";
    case SMS_EINVAL: return "EINVAL";
    case SMS_ENOTFOUND: return "ENOTFOUND";
    case SMS_EEXISTS: return "EEXISTS";
    case SMS_EAUTH: return "EAUTH";
    case SMS_ECHAIN: return "ECHAIN";
    case SMS_ESTORE: return "ESTORE";
    case SMS_ECRYPTO: return "ECRYPTO";
    case SMS_ETOOBIG: return "ETOOBIG";
    case SMS_EIO: return "EIO";
    case SMS_ETIMEOUT: return "ETIMEOUT";
    case SMS_EBUSY: return "EBUSY";
    case SMS_EUNAVAIL: return "EUNAVAIL";
    case SMS_EPENDING: return "EPENDING";
    }
    return "UNKNOWN";
}

/* Status codes shared by every layer. Functions return sms_status; OK is 0. */
#ifndef SMS_STATUS_H
#define SMS_STATUS_H

typedef enum {
    SMS_OK = 0,
    SMS_ERR = 1,          /* unspecified internal failure */
    SMS_ENOMEM = 2,       /* allocation failed */
    SMS_EINVAL = 3,       /* malformed input (client's fault) */
    SMS_ENOTFOUND = 4,    /* record / object absent */
    SMS_EEXISTS = 5,      /* record already present */
    SMS_EAUTH = 6,        /* signature or owner check failed */
    SMS_ECHAIN = 7,       /* chain node unreachable, error, revert, bad answer */
    SMS_ESTORE = 8,       /* database failure */
    SMS_ECRYPTO = 9,      /* encryption / decryption / integrity failure */
    SMS_ETOOBIG = 10,     /* size limit exceeded */
    SMS_EIO = 11,         /* file-system failure */
    SMS_ETIMEOUT = 12,    /* bounded wait exceeded */
    SMS_EBUSY = 13,       /* resource held by another operation */
    SMS_EUNAVAIL = 14,    /* a remote service (chain node, provisioner) is unreachable */
    SMS_EPENDING = 15     /* accepted; the outcome is delivered later through a callback */
} sms_status;

/* Short stable name, for logs ("ENOTFOUND"...). Never NULL. */
const char *sms_status_name(sms_status st);

#endif

// Reads the roots that an NSS trust module (libnssckbi.so, Mozilla's root store
// as NSS ships it, or p11-kit's trust module that stands in for it) marks
// trusted for a purpose, through PKCS#11. Only the certificates come back;
// checking them is OpenSSL's business, on the Swift side.
#ifndef SMIMEKIT_CNSSTRUST_H
#define SMIMEKIT_CNSSTRUST_H

#include <stddef.h>

typedef struct {
    unsigned char *der;     // the certificate (CKA_VALUE), malloc'ed
    size_t der_len;
    unsigned char sha1[20]; // CKA_CERT_SHA1_HASH of the trust object, when has_sha1
    int has_sha1;
    // CKA_NSS_EMAIL_DISTRUST_AFTER of the certificate: a UTCTime ("YYMMDDHHMMSSZ")
    // after which the root no longer vouches for newly issued e-mail certificates.
    char email_distrust_after[24];
    int has_email_distrust_after;
} smk_nss_root;

enum {
    SMK_NSS_PURPOSE_EMAIL = 0,       // CKA_TRUST_EMAIL_PROTECTION
    SMK_NSS_PURPOSE_SERVER_AUTH = 1, // CKA_TRUST_SERVER_AUTH
};

// Loads the PKCS#11 module at `module` (a path, or a file name for the usual
// library search), and collects every certificate whose CKO_NSS_TRUST object
// has the purpose's trust attribute set to CKT_NSS_TRUSTED_DELEGATOR.
// Returns the number of roots in *out (free with smk_nss_roots_free), or -1
// with a sentence in err.
long smk_nss_trusted_roots(const char *module, int purpose, smk_nss_root **out, char *err, size_t errlen);
void smk_nss_roots_free(smk_nss_root *roots, long count);

#endif

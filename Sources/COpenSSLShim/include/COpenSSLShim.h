// Functions Swift can call where OpenSSL offers only macros (typed stacks,
// BIO controls) or needs a C callback. No logic of ours lives here beyond
// collecting the errors of a certificate path check.
#ifndef SMIMEKIT_COPENSSLSHIM_H
#define SMIMEKIT_COPENSSLSHIM_H

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/http.h>
#include <openssl/objects.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

// SHA-256 of len bytes at data into out (32 bytes), with the SHA-256 code itself:
// no provider is loaded or algorithm fetched, so a run that hashes but does no
// other cryptography (status) never pays OpenSSL 3's provider start-up. Returns 1.
int smk_sha256(const void *data, size_t len, unsigned char *out);

// STACK_OF(X509)
STACK_OF(X509) *smk_x509_stack_new(void);
int smk_x509_stack_num(const STACK_OF(X509) *s);
X509 *smk_x509_stack_value(const STACK_OF(X509) *s, int i);
int smk_x509_stack_push_up_ref(STACK_OF(X509) *s, X509 *x);   // takes a new reference
void smk_x509_stack_free_all(STACK_OF(X509) *s);               // frees members too
void smk_x509_stack_free_shallow(STACK_OF(X509) *s);

// STACK_OF(X509_CRL)
STACK_OF(X509_CRL) *smk_crl_stack_new(void);
int smk_crl_stack_num(const STACK_OF(X509_CRL) *s);
X509_CRL *smk_crl_stack_value(const STACK_OF(X509_CRL) *s, int i);
int smk_crl_stack_push_up_ref(STACK_OF(X509_CRL) *s, X509_CRL *c);
void smk_crl_stack_free_all(STACK_OF(X509_CRL) *s);

// STACK_OF(CMS_SignerInfo), STACK_OF(CMS_RecipientInfo)
int smk_signerinfo_num(STACK_OF(CMS_SignerInfo) *s);
CMS_SignerInfo *smk_signerinfo_value(STACK_OF(CMS_SignerInfo) *s, int i);

// GENERAL_NAMES (subjectAltName), decoded once and read in one pass.
// smk_x509_san_open: 1 and *names (free with smk_san_free) when present, 0 when
// absent, -1 when present but unreadable (malformed, or the extension twice).
// smk_san_entry: entry i's type (GEN_EMAIL, GEN_OTHERNAME, ...) and, for IA5
// forms and SmtpUTF8Mailbox, the whole string (pointing into *names).
int smk_x509_san_open(X509 *x, GENERAL_NAMES **names);
int smk_san_num(const GENERAL_NAMES *names);
int smk_san_entry(const GENERAL_NAMES *names, int i, int *type, const unsigned char **data, int *len);
void smk_san_free(GENERAL_NAMES *names);
// SmtpUTF8Mailbox (RFC 8398) otherName entries are returned with type
// SMK_GEN_SMTPUTF8 and their UTF-8 bytes; one whose value is not a UTF8String
// as SMK_GEN_BAD_SMTPUTF8.
#define SMK_GEN_SMTPUTF8 100
#define SMK_GEN_BAD_SMTPUTF8 101

// RFC 2253 distinguished names with UTF-8 kept as UTF-8.
unsigned long smk_name_print_flags(void);

// BIO helpers.
long smk_bio_get_mem_data(BIO *b, char **pp);

// Certificate path check that records every problem instead of stopping at the first.
typedef struct {
    int count;          // problems recorded (may exceed capacity; extra are dropped)
    int capacity;
    int *errors;        // X509_V_ERR_* codes
    int *depths;        // chain depth of each problem
    int ignore_crl_unavailable; // soft revocation: missing or stale CRLs are not problems
    int crl_path_error;  // the first problem on a CRL issuer's own path (0: none)
    X509 *crl_path_cert; // the certificate it concerns (a reference the caller frees), or NULL
    unsigned int unavailable_mask; // bit d: no usable CRL for the certificate at depth d (recorded even when ignored)
} smk_path_report;

// Of all CRLs offered (the message's, the user's, fetched ones), the newest
// valid complete CRL of each scope (issuer name and key, distribution point):
// valid at `at` first, then the highest cRLNumber, then the latest thisUpdate.
// Delta CRLs are all kept, best first. A new stack holding new references.
STACK_OF(X509_CRL) *smk_crl_select(STACK_OF(X509_CRL) *crls, time_t at);

// Runs X509_verify_cert with a callback that records each error and continues.
// On return *chain_out holds the chain built (caller frees with smk_x509_stack_free_all), or NULL.
// Returns X509_verify_cert's result (1 ok) after the recorded errors are considered.
int smk_verify_path(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted,
                    STACK_OF(X509_CRL) *crls, unsigned long flags, time_t at,
                    int purpose, smk_path_report *report, STACK_OF(X509) **chain_out);

// Frees the BIO chain that CMS_dataInit built, stopping before `upto` (ours).
void smk_bio_free_upto(BIO *chain, BIO *upto);

// ASN1_TIME to seconds since 1970 (UTC). Returns 0 when the time is unreadable.
int smk_asn1_time_to_unix(const ASN1_TIME *t, long long *out);

// The signingTime signed attribute of a SignerInfo, if present and readable.
int smk_signer_signing_time(CMS_SignerInfo *si, long long *out);

// Clears and returns the most recent OpenSSL error as text in buf (may be empty).
void smk_last_error(char *buf, size_t len);

// Online revocation. URLs of a certificate, each followed by a newline, into buf
// (URLs with spaces or control characters are skipped). Returns how many.
#define SMK_URL_OCSP 0
#define SMK_URL_CA_ISSUERS 1
#define SMK_URL_CRL_DP 2
int smk_x509_urls(X509 *x, int kind, char *buf, size_t len);

// One HTTP exchange with OpenSSL's client: GET, or POST of body. http:// only, no
// proxy, no redirect followed, `timeout` seconds in all (connect included), at
// most max_len bytes. 0 and *out (OPENSSL_free it) on success; -1 and err otherwise.
int smk_http_fetch(const char *url, const unsigned char *body, size_t body_len, const char *content_type,
                   int timeout, size_t max_len, unsigned char **out, size_t *out_len, char *err, size_t err_len);

// A DER OCSPRequest for cert (SHA-1 CertID, no nonce: answers can be cached). Returns its length.
int smk_ocsp_request(X509 *cert, X509 *issuer, unsigned char **der);

typedef struct {
    int status;               // 0 good, 1 revoked, 2 unknown; -1 when unusable (see error)
    int reason;               // CRL reason code of a revocation, or -1
    long long revoked_at, this_update, next_update, produced_at;  // Unix seconds
    int has_next_update;
    char error[256];
} smk_ocsp_result;

// Checks a DER OCSPResponse about cert: signed by its issuer or a responder the
// issuer authorised (RFC 6960 4.2.2.2), chaining to `store`, covering this CertID,
// and inside thisUpdate..nextUpdate (with `skew` seconds) now. 0 when usable.
int smk_ocsp_check(const unsigned char *der, long len, X509 *cert, X509 *issuer, STACK_OF(X509) *untrusted,
                   X509_STORE *store, long skew, smk_ocsp_result *out);

// Certificates in a caIssuers answer: one DER certificate, or a PKCS#7 certs-only bundle.
STACK_OF(X509) *smk_certs_from_der(const unsigned char *der, long len);

#endif

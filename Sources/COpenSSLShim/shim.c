#define _GNU_SOURCE
#include "COpenSSLShim.h"
#include <string.h>
#include <time.h>

STACK_OF(X509) *smk_x509_stack_new(void) { return sk_X509_new_null(); }
int smk_x509_stack_num(const STACK_OF(X509) *s) { return s ? sk_X509_num(s) : 0; }
X509 *smk_x509_stack_value(const STACK_OF(X509) *s, int i) { return sk_X509_value(s, i); }
int smk_x509_stack_push_up_ref(STACK_OF(X509) *s, X509 *x) {
    if (!X509_up_ref(x)) return 0;
    if (!sk_X509_push(s, x)) { X509_free(x); return 0; }
    return 1;
}
void smk_x509_stack_free_all(STACK_OF(X509) *s) { sk_X509_pop_free(s, X509_free); }
void smk_x509_stack_free_shallow(STACK_OF(X509) *s) { sk_X509_free(s); }

STACK_OF(X509_CRL) *smk_crl_stack_new(void) { return sk_X509_CRL_new_null(); }
int smk_crl_stack_num(const STACK_OF(X509_CRL) *s) { return s ? sk_X509_CRL_num(s) : 0; }
X509_CRL *smk_crl_stack_value(const STACK_OF(X509_CRL) *s, int i) { return sk_X509_CRL_value(s, i); }
int smk_crl_stack_push_up_ref(STACK_OF(X509_CRL) *s, X509_CRL *c) {
    if (!X509_CRL_up_ref(c)) return 0;
    if (!sk_X509_CRL_push(s, c)) { X509_CRL_free(c); return 0; }
    return 1;
}
void smk_crl_stack_free_all(STACK_OF(X509_CRL) *s) { sk_X509_CRL_pop_free(s, X509_CRL_free); }

int smk_signerinfo_num(STACK_OF(CMS_SignerInfo) *s) { return s ? sk_CMS_SignerInfo_num(s) : 0; }
CMS_SignerInfo *smk_signerinfo_value(STACK_OF(CMS_SignerInfo) *s, int i) { return sk_CMS_SignerInfo_value(s, i); }

// subjectAltName is decoded once per certificate and read in one pass: decoding
// it again per entry made a 16,000-entry certificate cost minutes. Entries are
// returned whole (pointers into the decoded names, no copies, no static buffers).
int smk_x509_san_open(X509 *x, GENERAL_NAMES **names) {
    int crit = 0;
    *names = X509_get_ext_d2i(x, NID_subject_alt_name, &crit, NULL);
    if (*names) return 1;
    // crit -1: absent; -2: more than one; >= 0: present but not decodable.
    return crit == -1 ? 0 : -1;
}

int smk_san_num(const GENERAL_NAMES *names) { return names ? sk_GENERAL_NAME_num(names) : 0; }

int smk_san_entry(const GENERAL_NAMES *names, int i, int *type, const unsigned char **data, int *len) {
    *type = -1; *data = NULL; *len = 0;
    if (!names || i < 0 || i >= sk_GENERAL_NAME_num(names)) return 0;
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
    if (!g) return 0;
    *type = g->type;
    if (g->type == GEN_EMAIL || g->type == GEN_DNS || g->type == GEN_URI) {
        const ASN1_IA5STRING *s = g->d.ia5;
        if (s) { *data = ASN1_STRING_get0_data(s); *len = ASN1_STRING_length(s); }
    } else if (g->type == GEN_OTHERNAME && g->d.otherName &&
               OBJ_obj2nid(g->d.otherName->type_id) == NID_id_on_SmtpUTF8Mailbox) {
        const ASN1_TYPE *v = g->d.otherName->value;
        if (v && v->type == V_ASN1_UTF8STRING && v->value.utf8string) {
            *type = SMK_GEN_SMTPUTF8;
            *data = ASN1_STRING_get0_data(v->value.utf8string);
            *len = ASN1_STRING_length(v->value.utf8string);
        } else {
            *type = SMK_GEN_BAD_SMTPUTF8;
        }
    }
    return 1;
}

void smk_san_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

unsigned long smk_name_print_flags(void) { return XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB; }

long smk_bio_get_mem_data(BIO *b, char **pp) { return BIO_get_mem_data(b, pp); }

static int smk_path_callback(int ok, X509_STORE_CTX *ctx) {
    if (ok) return 1;
    smk_path_report *r = X509_STORE_CTX_get_app_data(ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    if (r) {
        int unavailable = err == X509_V_ERR_UNABLE_TO_GET_CRL ||
                          err == X509_V_ERR_CRL_HAS_EXPIRED ||
                          err == X509_V_ERR_CRL_NOT_YET_VALID ||
                          err == X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER ||
                          err == X509_V_ERR_DIFFERENT_CRL_SCOPE;
        if (!(r->ignore_crl_unavailable && unavailable)) {
            if (r->count < r->capacity) {
                r->errors[r->count] = err;
                r->depths[r->count] = X509_STORE_CTX_get_error_depth(ctx);
            }
            r->count++;
        }
    }
    // Keep going: every problem of the path is worth reporting.
    return 1;
}

int smk_verify_path(X509_STORE *store, X509 *leaf, STACK_OF(X509) *untrusted,
                    STACK_OF(X509_CRL) *crls, unsigned long flags, time_t at,
                    int purpose, smk_path_report *report, STACK_OF(X509) **chain_out) {
    *chain_out = NULL;
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    if (!ctx) return -1;
    if (!X509_STORE_CTX_init(ctx, store, leaf, untrusted)) { X509_STORE_CTX_free(ctx); return -1; }
    if (crls) X509_STORE_CTX_set0_crls(ctx, crls);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, flags);
    X509_VERIFY_PARAM_set_time(param, at);
    if (purpose > 0) X509_STORE_CTX_set_purpose(ctx, purpose);
    if (flags & X509_V_FLAG_POLICY_CHECK) {
        // RFC 5280 6.1.1 (c): the user-initial-policy-set defaults to anyPolicy. OpenSSL
        // treats an empty set as "no policy acceptable" once a CA requires an explicit policy.
        STACK_OF(ASN1_OBJECT) *policies = sk_ASN1_OBJECT_new_null();
        ASN1_OBJECT *any = OBJ_nid2obj(NID_any_policy);
        if (policies && any && sk_ASN1_OBJECT_push(policies, any))
            X509_VERIFY_PARAM_set1_policies(param, policies);
        sk_ASN1_OBJECT_free(policies);
    }
    X509_STORE_CTX_set_app_data(ctx, report);
    X509_STORE_CTX_set_verify_cb(ctx, smk_path_callback);
    int rc = X509_verify_cert(ctx);
    STACK_OF(X509) *chain = X509_STORE_CTX_get1_chain(ctx);
    *chain_out = chain;
    X509_STORE_CTX_free(ctx);
    if (rc == 1 && report->count > 0) rc = 0;
    return rc;
}

void smk_bio_free_upto(BIO *chain, BIO *upto) {
    while (chain && chain != upto) {
        BIO *next = BIO_pop(chain);
        BIO_free(chain);
        chain = next;
    }
}

int smk_asn1_time_to_unix(const ASN1_TIME *t, long long *out) {
    struct tm tm;
    if (!t || !ASN1_TIME_to_tm(t, &tm)) return 0;
    *out = (long long)timegm(&tm);
    return 1;
}

int smk_signer_signing_time(CMS_SignerInfo *si, long long *out) {
    int idx = CMS_signed_get_attr_by_NID(si, NID_pkcs9_signingTime, -1);
    if (idx < 0) return 0;
    X509_ATTRIBUTE *attr = CMS_signed_get_attr(si, idx);
    ASN1_TYPE *v = attr ? X509_ATTRIBUTE_get0_type(attr, 0) : NULL;
    if (!v) return 0;
    if (v->type == V_ASN1_UTCTIME || v->type == V_ASN1_GENERALIZEDTIME)
        return smk_asn1_time_to_unix((const ASN1_TIME *)v->value.asn1_string, out);
    return 0;
}

void smk_last_error(char *buf, size_t len) {
    unsigned long e = ERR_peek_last_error();
    if (len) buf[0] = 0;
    if (e) ERR_error_string_n(e, buf, len);
    ERR_clear_error();
}

#define _GNU_SOURCE
#include "COpenSSLShim.h"
#include <string.h>
#include <time.h>

// OpenSSL's typed stacks are macros Swift cannot call: the same five functions
// for each element type, smk_<name>_stack_new, _num, _value, _push_up_ref
// (the stack takes a reference of its own) and _free_all (with the elements).
#define SMK_STACK_FUNCTIONS(T, name) \
    STACK_OF(T) *smk_##name##_stack_new(void) { return sk_##T##_new_null(); } \
    int smk_##name##_stack_num(const STACK_OF(T) *s) { return s ? sk_##T##_num(s) : 0; } \
    T *smk_##name##_stack_value(const STACK_OF(T) *s, int i) { return sk_##T##_value(s, i); } \
    int smk_##name##_stack_push_up_ref(STACK_OF(T) *s, T *x) { \
        if (!T##_up_ref(x)) return 0; \
        if (!sk_##T##_push(s, x)) { T##_free(x); return 0; } \
        return 1; \
    } \
    void smk_##name##_stack_free_all(STACK_OF(T) *s) { sk_##T##_pop_free(s, T##_free); }

SMK_STACK_FUNCTIONS(X509, x509)
SMK_STACK_FUNCTIONS(X509_CRL, crl)
void smk_x509_stack_free_shallow(STACK_OF(X509) *s) { sk_X509_free(s); }

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

static int smk_crl_unavailable(int err) {
    return err == X509_V_ERR_UNABLE_TO_GET_CRL ||
           err == X509_V_ERR_CRL_HAS_EXPIRED ||
           err == X509_V_ERR_CRL_NOT_YET_VALID ||
           err == X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER ||
           err == X509_V_ERR_DIFFERENT_CRL_SCOPE;
}

static int smk_path_callback(int ok, X509_STORE_CTX *ctx) {
    if (ok) return 1;
    // OpenSSL checks the path of a CRL issuer that is not on the certificate's own
    // path (a separate CRL-signing key, an indirect CRL) in a context of its own,
    // with this callback. Its report is the parent's.
    X509_STORE_CTX *parent = X509_STORE_CTX_get0_parent_ctx(ctx);
    smk_path_report *r = X509_STORE_CTX_get_app_data(parent ? parent : ctx);
    int err = X509_STORE_CTX_get_error(ctx);
    if (!parent && r && smk_crl_unavailable(err)) {
        int depth = X509_STORE_CTX_get_error_depth(ctx);
        if (depth >= 0 && depth < 32) r->unavailable_mask |= 1u << depth;
    }
    if (r && r->ignore_crl_unavailable && smk_crl_unavailable(err)) return 1;
    if (parent) {
        // Any other problem on the CRL issuer's path (revoked, expired, untrusted)
        // makes its CRLs unusable: stop here, and the parent context reports
        // X509_V_ERR_CRL_PATH_VALIDATION_ERROR, which is recorded as a problem.
        if (r && r->crl_path_error == 0) {
            r->crl_path_error = err;
            X509 *cert = X509_STORE_CTX_get_current_cert(ctx);
            if (cert && X509_up_ref(cert)) r->crl_path_cert = cert;
        }
        return 0;
    }
    if (r) {
        if (r->count < r->capacity) {
            r->errors[r->count] = err;
            r->depths[r->count] = X509_STORE_CTX_get_error_depth(ctx);
        }
        r->count++;
    }
    // Keep going: every problem of the path is worth reporting.
    return 1;
}

// What the newest-CRL selection needs to know of each candidate.
typedef struct {
    X509_CRL *crl;
    int index;                       // position in the input, for a stable order
    int delta;                       // has a deltaCRLIndicator
    int valid;                       // inside thisUpdate..nextUpdate at the verification time
    AUTHORITY_KEYID *akid;           // decoded authorityKeyIdentifier, or NULL
    const ASN1_OCTET_STRING *keyid;  // its keyIdentifier, or NULL
    const ASN1_OCTET_STRING *idp;    // issuingDistributionPoint extension value (DER), or NULL
    ASN1_INTEGER *number;            // cRLNumber, or NULL
} smk_crl_candidate;

static int smk_octets_cmp(const ASN1_OCTET_STRING *a, const ASN1_OCTET_STRING *b) {
    if (!a || !b) return (a != NULL) - (b != NULL);
    return ASN1_OCTET_STRING_cmp(a, b);
}

// Same scope: one issuer (name and key), one distribution point, base or delta.
static int smk_crl_scope_cmp(const smk_crl_candidate *a, const smk_crl_candidate *b) {
    int c = X509_NAME_cmp(X509_CRL_get_issuer(a->crl), X509_CRL_get_issuer(b->crl));
    if (c) return c;
    if ((c = smk_octets_cmp(a->keyid, b->keyid))) return c;
    if ((c = smk_octets_cmp(a->idp, b->idp))) return c;
    return a->delta - b->delta;
}

// Within a scope, best first: valid ones, then the highest cRLNumber, then the latest thisUpdate.
static int smk_crl_rank_cmp(const smk_crl_candidate *a, const smk_crl_candidate *b) {
    if (a->valid != b->valid) return b->valid - a->valid;
    if (a->number || b->number) {
        if (!a->number) return 1;
        if (!b->number) return -1;
        int c = ASN1_INTEGER_cmp(b->number, a->number);
        if (c) return c;
    }
    int c = ASN1_TIME_compare(X509_CRL_get0_lastUpdate(b->crl), X509_CRL_get0_lastUpdate(a->crl));
    if (c == 1 || c == -1) return c;
    return a->index - b->index;
}

static int smk_crl_candidate_cmp(const void *pa, const void *pb) {
    const smk_crl_candidate *a = pa, *b = pb;
    int c = smk_crl_scope_cmp(a, b);
    return c ? c : smk_crl_rank_cmp(a, b);
}

STACK_OF(X509_CRL) *smk_crl_select(STACK_OF(X509_CRL) *crls, time_t at) {
    STACK_OF(X509_CRL) *out = sk_X509_CRL_new_null();
    int n = crls ? sk_X509_CRL_num(crls) : 0;
    if (!out || n == 0) return out;
    smk_crl_candidate *c = OPENSSL_zalloc(sizeof(*c) * (size_t)n);
    if (!c) { sk_X509_CRL_free(out); return NULL; }
    for (int i = 0; i < n; i++) {
        X509_CRL *crl = sk_X509_CRL_value(crls, i);
        c[i].crl = crl;
        c[i].index = i;
        ASN1_INTEGER *base = X509_CRL_get_ext_d2i(crl, NID_delta_crl, NULL, NULL);
        c[i].delta = base != NULL;
        ASN1_INTEGER_free(base);
        const ASN1_TIME *last = X509_CRL_get0_lastUpdate(crl), *next = X509_CRL_get0_nextUpdate(crl);
        time_t t = at;
        c[i].valid = last && X509_cmp_time(last, &t) <= 0 && (!next || X509_cmp_time(next, &t) >= 0);
        c[i].akid = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, NULL, NULL);
        c[i].keyid = c[i].akid ? c[i].akid->keyid : NULL;
        int idx = X509_CRL_get_ext_by_NID(crl, NID_issuing_distribution_point, -1);
        c[i].idp = idx >= 0 ? X509_EXTENSION_get_data(X509_CRL_get_ext(crl, idx)) : NULL;
        c[i].number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    }
    ERR_clear_error();
    qsort(c, (size_t)n, sizeof(*c), smk_crl_candidate_cmp);
    // The best complete CRL of each scope, and every delta in rank order (OpenSSL
    // takes the first delta that fits the base it chose).
    for (int i = 0; i < n; i++) {
        if (!c[i].delta && i > 0 && smk_crl_scope_cmp(&c[i - 1], &c[i]) == 0) continue;
        if (X509_CRL_up_ref(c[i].crl) && !sk_X509_CRL_push(out, c[i].crl)) X509_CRL_free(c[i].crl);
    }
    for (int i = 0; i < n; i++) { ASN1_INTEGER_free(c[i].number); AUTHORITY_KEYID_free(c[i].akid); }
    OPENSSL_free(c);
    return out;
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

// MARK: Online revocation (OCSP, CRL distribution points, caIssuers)

int smk_x509_urls(X509 *x, int kind, char *buf, size_t len) {
    size_t used = 0;
    int count = 0;
    if (len) buf[0] = 0;
    STACK_OF(GENERAL_NAME) *names = sk_GENERAL_NAME_new_null();
    if (!names) return 0;
    AUTHORITY_INFO_ACCESS *aia = NULL;
    STACK_OF(DIST_POINT) *dps = NULL;
    if (kind == SMK_URL_OCSP || kind == SMK_URL_CA_ISSUERS) {
        aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);
        int want = kind == SMK_URL_OCSP ? NID_ad_OCSP : NID_ad_ca_issuers;
        for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
            ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
            if (OBJ_obj2nid(ad->method) == want) sk_GENERAL_NAME_push(names, ad->location);
        }
    } else {
        dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
        for (int i = 0; dps && i < sk_DIST_POINT_num(dps); i++) {
            DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
            if (!dp->distpoint || dp->distpoint->type != 0) continue;
            GENERAL_NAMES *full = dp->distpoint->name.fullname;
            for (int j = 0; j < sk_GENERAL_NAME_num(full); j++) sk_GENERAL_NAME_push(names, sk_GENERAL_NAME_value(full, j));
        }
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_URI) continue;
        const unsigned char *d = ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
        int l = ASN1_STRING_length(g->d.uniformResourceIdentifier);
        int clean = l > 0;
        for (int k = 0; k < l && clean; k++) if (d[k] <= 0x20 || d[k] >= 0x7F) clean = 0;
        if (!clean || used + (size_t)l + 2 > len) continue;
        memcpy(buf + used, d, (size_t)l);
        used += (size_t)l;
        buf[used++] = '\n';
        buf[used] = 0;
        count++;
    }
    sk_GENERAL_NAME_free(names);
    AUTHORITY_INFO_ACCESS_free(aia);
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return count;
}

int smk_http_fetch(const char *url, const unsigned char *body, size_t body_len, const char *content_type,
                   int timeout, size_t max_len, unsigned char **out, size_t *out_len, char *err, size_t err_len) {
    *out = NULL; *out_len = 0;
    if (err_len) err[0] = 0;
    char *host = NULL, *port = NULL, *path = NULL, *query = NULL;
    int ssl = 0, rc = -1;
    OSSL_HTTP_REQ_CTX *rctx = NULL;
    BIO *req = NULL, *resp = NULL;
    if (!OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, &query, NULL)) {
        snprintf(err, err_len, "not a URL smimekit can fetch");
        goto done;
    }
    if (ssl) { snprintf(err, err_len, "only http:// is fetched"); goto done; }
    char target[4096];
    if (snprintf(target, sizeof target, "%s%s%s", path, query && *query ? "?" : "", query ? query : "") >= (int)sizeof target) {
        snprintf(err, err_len, "the URL is too long");
        goto done;
    }
    // "" as the proxy: no proxy from the environment either; only the named server is asked.
    rctx = OSSL_HTTP_open(host, port, "", NULL, 0, NULL, NULL, NULL, NULL, 0, timeout);
    if (!rctx) { snprintf(err, err_len, "cannot connect"); goto done; }
    if (body) {
        req = BIO_new_mem_buf(body, (int)body_len);
        if (!req) goto done;
    }
    if (!OSSL_HTTP_set1_request(rctx, target, NULL, body ? content_type : NULL, req, NULL, 1, max_len, timeout, 0)) {
        snprintf(err, err_len, "cannot send the request");
        goto done;
    }
    // No redirection URL to fill in: a redirect is an error, never followed.
    resp = OSSL_HTTP_exchange(rctx, NULL);
    if (!resp) {
        unsigned long e = ERR_peek_last_error();
        char buf[200] = "no answer";
        if (e) ERR_error_string_n(e, buf, sizeof buf);
        snprintf(err, err_len, "%s", buf);
        goto done;
    }
    char *data = NULL;
    long n = BIO_get_mem_data(resp, &data);
    if (n <= 0 || (size_t)n > max_len) { snprintf(err, err_len, n <= 0 ? "an empty answer" : "the answer is too large"); goto done; }
    *out = OPENSSL_malloc((size_t)n);
    if (!*out) goto done;
    memcpy(*out, data, (size_t)n);
    *out_len = (size_t)n;
    rc = 0;
done:
    if (rctx) OSSL_HTTP_close(rctx, rc == 0);
    BIO_free(req);
    OPENSSL_free(host); OPENSSL_free(port); OPENSSL_free(path); OPENSSL_free(query);
    ERR_clear_error();
    return rc;
}

int smk_ocsp_request(X509 *cert, X509 *issuer, unsigned char **der) {
    *der = NULL;
    OCSP_CERTID *id = OCSP_cert_to_id(NULL, cert, issuer);
    if (!id) return -1;
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    if (!req || !OCSP_request_add0_id(req, id)) { OCSP_CERTID_free(id); OCSP_REQUEST_free(req); return -1; }
    int n = i2d_OCSP_REQUEST(req, der);
    OCSP_REQUEST_free(req);
    return n;
}

static long long smk_time_or(const ASN1_GENERALIZEDTIME *t, long long fallback) {
    long long v;
    return t && smk_asn1_time_to_unix(t, &v) ? v : fallback;
}

int smk_ocsp_check(const unsigned char *der, long len, X509 *cert, X509 *issuer, STACK_OF(X509) *untrusted,
                   X509_STORE *store, long skew, smk_ocsp_result *out) {
    memset(out, 0, sizeof *out);
    out->status = -1;
    const unsigned char *p = der;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, len);
    OCSP_BASICRESP *bs = NULL;
    OCSP_CERTID *id = NULL;
    int rc = -1;
    if (!resp) { snprintf(out->error, sizeof out->error, "the answer is not an OCSP response"); goto done; }
    int status = OCSP_response_status(resp);
    if (status != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
        snprintf(out->error, sizeof out->error, "the responder answered '%s'", OCSP_response_status_str(status));
        goto done;
    }
    bs = OCSP_response_get1_basic(resp);
    if (!bs) { snprintf(out->error, sizeof out->error, "the response holds no basic response"); goto done; }
    // Signature, the responder's path to a trust anchor, and RFC 6960 4.2.2.2:
    // signed by the issuing CA itself or by a responder it certified for OCSPSigning.
    if (OCSP_basic_verify(bs, untrusted, store, 0) <= 0) {
        snprintf(out->error, sizeof out->error, "the response is not signed by the CA or a responder it authorised");
        goto done;
    }
    id = OCSP_cert_to_id(NULL, cert, issuer);
    int reason = -1;
    ASN1_GENERALIZEDTIME *revoked = NULL, *this_update = NULL, *next_update = NULL;
    if (!id || !OCSP_resp_find_status(bs, id, &status, &reason, &revoked, &this_update, &next_update)) {
        snprintf(out->error, sizeof out->error, "the response does not cover this certificate");
        goto done;
    }
    if (!OCSP_check_validity(this_update, next_update, skew, -1)) {
        snprintf(out->error, sizeof out->error, "the response is out of date (or not yet valid)");
        goto done;
    }
    out->status = status == V_OCSP_CERTSTATUS_GOOD ? 0 : status == V_OCSP_CERTSTATUS_REVOKED ? 1 : 2;
    out->reason = reason;
    out->revoked_at = smk_time_or(revoked, 0);
    out->this_update = smk_time_or(this_update, 0);
    out->next_update = smk_time_or(next_update, 0);
    out->has_next_update = next_update != NULL;
    out->produced_at = smk_time_or(OCSP_resp_get0_produced_at(bs), 0);
    rc = 0;
done:
    OCSP_CERTID_free(id);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
    return rc;
}

STACK_OF(X509) *smk_certs_from_der(const unsigned char *der, long len) {
    STACK_OF(X509) *out = sk_X509_new_null();
    if (!out) return NULL;
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, len);
    if (x) { sk_X509_push(out, x); return out; }
    p = der;
    PKCS7 *p7 = d2i_PKCS7(NULL, &p, len);
    if (p7 && OBJ_obj2nid(p7->type) == NID_pkcs7_signed && p7->d.sign) {
        STACK_OF(X509) *certs = p7->d.sign->cert;
        for (int i = 0; i < sk_X509_num(certs); i++) smk_x509_stack_push_up_ref(out, sk_X509_value(certs, i));
    }
    PKCS7_free(p7);
    ERR_clear_error();
    return out;
}

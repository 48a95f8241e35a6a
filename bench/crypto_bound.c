/*
 * The crypto bound for bench/run: what any verifier of these files must do at
 * the least, with nothing else. Per message: read the file, SHA-256 over it
 * twice (the content digest and the file digest the result cache keys on),
 * SHA-256 over the signed attributes and one public-key verification of the
 * signature, on JOBS processes.
 *
 *   crypto_bound JOBS < list-of-paths
 *       prints "<messages> <verified> <seconds> <msg/s>" on stdout
 *
 * The signatures, signed attributes and public keys are the corpus's own:
 * before the clock starts, each file is read once and its tail (the base64
 * signature part, the same in every copy of a template) looks up an already
 * parsed signer; a new tail is parsed with SMIME_read_CMS. Keys are decoded,
 * the digest fetched and each key's EVP_PKEY_CTX made ready before timing, so
 * the timed loop pays no parsing and no OpenSSL 3 fetch: it is the floor, the
 * way `openssl speed` loops over one prepared context.
 */
#include <fcntl.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TAIL 1024

typedef struct {
    unsigned char tail[TAIL];
    size_t tail_len;
    EVP_PKEY *key;
    EVP_PKEY_CTX *ctx;      /* verify_init done, signature digest set */
    unsigned char *tbs;     /* DER of the signed attributes (SET OF) */
    size_t tbs_len;
    unsigned char *sig;
    size_t sig_len;
} signer;

static signer *signers;
static size_t nsigners, capsigners;
static char **paths;
static size_t *which;
static size_t npaths;
static EVP_MD *sha256;

static void die(const char *what) {
    fprintf(stderr, "crypto_bound: %s\n", what);
    ERR_print_errors_fp(stderr);
    exit(2);
}

static unsigned char *slurp(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) { perror(path); exit(2); }
    struct stat st;
    if (fstat(fd, &st) != 0) { perror(path); exit(2); }
    unsigned char *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0) { perror(path); exit(2); }
        got += (size_t)r;
    }
    close(fd);
    *len = got;
    return buf;
}

/* The DER of the signed attributes as signed: SET OF Attribute, in the order decoded. */
static unsigned char *signed_attrs_der(CMS_SignerInfo *si, size_t *len) {
    int n = CMS_signed_get_attr_count(si);
    if (n <= 0) die("a signer without signed attributes");
    size_t body = 0;
    unsigned char *parts[64];
    int lens[64];
    if (n > 64) die("too many signed attributes");
    for (int i = 0; i < n; i++) {
        parts[i] = NULL;
        lens[i] = i2d_X509_ATTRIBUTE(CMS_signed_get_attr(si, i), &parts[i]);
        if (lens[i] <= 0) die("cannot encode a signed attribute");
        body += (size_t)lens[i];
    }
    unsigned char *out = malloc(body + 6), *p = out;
    *p++ = 0x31;
    if (body < 0x80) *p++ = (unsigned char)body;
    else if (body < 0x100) { *p++ = 0x81; *p++ = (unsigned char)body; }
    else if (body < 0x10000) { *p++ = 0x82; *p++ = (unsigned char)(body >> 8); *p++ = (unsigned char)body; }
    else die("signed attributes too large");
    for (int i = 0; i < n; i++) { memcpy(p, parts[i], (size_t)lens[i]); p += lens[i]; OPENSSL_free(parts[i]); }
    *len = (size_t)(p - out);
    return out;
}

static int verify_one(signer *s) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(s->tbs, s->tbs_len, md, &mdlen, sha256, NULL)) return 0;
    return EVP_PKEY_verify(s->ctx, s->sig, s->sig_len, md, mdlen) == 1;
}

static size_t signer_for(const unsigned char *data, size_t len) {
    size_t tl = len < TAIL ? len : TAIL;
    const unsigned char *tail = data + len - tl;
    for (size_t i = 0; i < nsigners; i++)
        if (signers[i].tail_len == tl && memcmp(signers[i].tail, tail, tl) == 0) return i;

    BIO *in = BIO_new_mem_buf(data, (int)len);
    BIO *content = NULL;
    CMS_ContentInfo *cms = SMIME_read_CMS(in, &content);
    if (!cms) die("SMIME_read_CMS failed on a corpus file");
    STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
    if (!sis || sk_CMS_SignerInfo_num(sis) < 1) die("no SignerInfo");
    CMS_SignerInfo *si = sk_CMS_SignerInfo_value(sis, 0);
    STACK_OF(X509) *certs = CMS_get1_certs(cms);
    X509 *cert = NULL;
    for (int i = 0; certs && i < sk_X509_num(certs); i++)
        if (CMS_SignerInfo_cert_cmp(si, sk_X509_value(certs, i)) == 0) { cert = sk_X509_value(certs, i); break; }
    if (!cert) die("the signer's certificate is not in the message");
    X509_ALGOR *dig = NULL;
    CMS_SignerInfo_get0_algs(si, NULL, NULL, &dig, NULL);
    if (!dig || OBJ_obj2nid(dig->algorithm) != NID_sha256) die("not a SHA-256 signature");

    if (nsigners == capsigners) {
        capsigners = capsigners ? capsigners * 2 : 16;
        signers = realloc(signers, capsigners * sizeof *signers);
    }
    signer *s = &signers[nsigners];
    memset(s, 0, sizeof *s);
    memcpy(s->tail, tail, tl);
    s->tail_len = tl;
    s->key = X509_get_pubkey(cert);
    if (!s->key) die("cannot decode the signer's public key");
    s->tbs = signed_attrs_der(si, &s->tbs_len);
    ASN1_OCTET_STRING *sig = CMS_SignerInfo_get0_signature(si);
    s->sig_len = (size_t)ASN1_STRING_length(sig);
    s->sig = malloc(s->sig_len);
    memcpy(s->sig, ASN1_STRING_get0_data(sig), s->sig_len);
    s->ctx = EVP_PKEY_CTX_new_from_pkey(NULL, s->key, NULL);
    if (!s->ctx || EVP_PKEY_verify_init(s->ctx) != 1 || EVP_PKEY_CTX_set_signature_md(s->ctx, sha256) != 1)
        die("cannot prepare the verification");
    if (!verify_one(s)) die("a corpus signature does not verify over its signed attributes");
    sk_X509_pop_free(certs, X509_free);
    CMS_ContentInfo_free(cms);
    BIO_free(content);
    BIO_free(in);
    return nsigners++;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* One worker: every JOBS-th file from START. Returns the count verified. */
static long work(size_t start, size_t step) {
    size_t cap = 1 << 16;
    unsigned char *buf = malloc(cap), md[EVP_MAX_MD_SIZE];
    unsigned int mdlen;
    long ok = 0;
    for (size_t i = start; i < npaths; i += step) {
        int fd = open(paths[i], O_RDONLY);
        if (fd < 0) continue;
        struct stat st;
        if (fstat(fd, &st) != 0) { close(fd); continue; }
        if ((size_t)st.st_size > cap) { cap = (size_t)st.st_size; buf = realloc(buf, cap); }
        size_t got = 0;
        ssize_t r;
        while (got < (size_t)st.st_size && (r = read(fd, buf + got, (size_t)st.st_size - got)) > 0) got += (size_t)r;
        close(fd);
        EVP_Digest(buf, got, md, &mdlen, sha256, NULL);   /* the file digest */
        EVP_Digest(buf, got, md, &mdlen, sha256, NULL);   /* the content digest */
        ok += verify_one(&signers[which[i]]);
    }
    free(buf);
    return ok;
}

int main(int argc, char **argv) {
    if (argc != 2 || atoi(argv[1]) < 1) { fprintf(stderr, "usage: crypto_bound JOBS < paths\n"); return 2; }
    int jobs = atoi(argv[1]);
    sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
    if (!sha256) die("no SHA256");
    char line[4096];
    size_t cap = 0;
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (!*line) continue;
        if (npaths == cap) {
            cap = cap ? cap * 2 : 1024;
            paths = realloc(paths, cap * sizeof *paths);
            which = realloc(which, cap * sizeof *which);
        }
        size_t len;
        unsigned char *data = slurp(line, &len);
        which[npaths] = signer_for(data, len);
        free(data);
        paths[npaths++] = strdup(line);
    }
    if (!npaths) die("no files");

    int fds[2];
    if (pipe(fds) != 0) die("pipe");
    double t0 = now();
    for (int j = 0; j < jobs; j++) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            long ok = work((size_t)j, (size_t)jobs);
            if (write(fds[1], &ok, sizeof ok) != sizeof ok) _exit(2);
            _exit(0);
        }
    }
    close(fds[1]);
    long verified = 0, ok;
    while (read(fds[0], &ok, sizeof ok) == sizeof ok) verified += ok;
    while (wait(NULL) > 0) {}
    double secs = now() - t0;
    printf("%zu %ld %.4f %.0f\n", npaths, verified, secs, (double)npaths / secs);
    return verified == (long)npaths ? 0 : 1;
}

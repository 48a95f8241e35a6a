/*
 * Baseline for bench/run: verify S/MIME messages in one process with plain
 * OpenSSL, the way a careful C program would: one X509_STORE for the whole
 * run, SMIME_read_CMS + CMS_verify per message. No sender check, no cache.
 *
 *   cms_loop CAFILE < list-of-paths      prints "<verified> <failed>" on stdout
 */
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: cms_loop CAFILE < paths\n");
        return 2;
    }
    X509_STORE *store = X509_STORE_new();
    if (!store || X509_STORE_load_locations(store, argv[1], NULL) != 1) {
        fprintf(stderr, "cms_loop: cannot load %s\n", argv[1]);
        return 2;
    }
    char path[4096];
    long verified = 0, failed = 0;
    while (fgets(path, sizeof path, stdin)) {
        path[strcspn(path, "\n")] = 0;
        if (!*path) continue;
        BIO *in = BIO_new_file(path, "rb");
        if (!in) { failed++; continue; }
        BIO *content = NULL;
        CMS_ContentInfo *cms = SMIME_read_CMS(in, &content);
        /* NULL out BIO: the content is digested but not copied anywhere. */
        if (cms && CMS_verify(cms, NULL, store, content, NULL, 0) == 1) verified++;
        else failed++;
        ERR_clear_error();
        CMS_ContentInfo_free(cms);
        BIO_free(content);
        BIO_free(in);
    }
    printf("%ld %ld\n", verified, failed);
    X509_STORE_free(store);
    return 0;
}

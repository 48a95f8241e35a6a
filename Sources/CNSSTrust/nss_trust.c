#define _GNU_SOURCE
#include "CNSSTrust.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
// p11-kit's copies of the PKCS#11 and NSS vendor headers (libp11-kit-dev).
#include <p11-kit-1/p11-kit/pkcs11.h>
#include <p11-kit-1/p11-kit/pkcs11x.h>

// A module is initialised once per process by PKCS#11 rules: loads are serialised.
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void say(char *err, size_t len, const char *fmt, const char *a, unsigned long b) {
    if (len) snprintf(err, len, fmt, a, b);
}

// Reads one attribute into a malloc'ed buffer; 0 when absent or unreadable.
static int get_attribute(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
                         CK_ATTRIBUTE_TYPE type, unsigned char **value, CK_ULONG *len) {
    CK_ATTRIBUTE a = { type, NULL, 0 };
    *value = NULL; *len = 0;
    if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK || a.ulValueLen == (CK_ULONG)-1) return 0;
    a.pValue = malloc(a.ulValueLen ? a.ulValueLen : 1);
    if (!a.pValue) return 0;
    if (f->C_GetAttributeValue(s, o, &a, 1) != CKR_OK) { free(a.pValue); return 0; }
    *value = a.pValue; *len = a.ulValueLen;
    return 1;
}

// Every object matching the template, up to a bound far above any root store.
static CK_ULONG find(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_ATTRIBUTE *tmpl, CK_ULONG n,
                     CK_OBJECT_HANDLE *found, CK_ULONG max) {
    CK_ULONG total = 0;
    if (f->C_FindObjectsInit(s, tmpl, n) != CKR_OK) return 0;
    while (total < max) {
        CK_ULONG got = 0;
        if (f->C_FindObjects(s, found + total, max - total, &got) != CKR_OK || got == 0) break;
        total += got;
    }
    f->C_FindObjectsFinal(s);
    return total;
}

#define MAX_OBJECTS 4096

static long collect(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_ATTRIBUTE_TYPE trust_type,
                    smk_nss_root **roots, long *count, long *capacity) {
    CK_OBJECT_CLASS trust_class = CKO_NSS_TRUST;
    CK_ULONG delegator = CKT_NSS_TRUSTED_DELEGATOR;
    CK_ATTRIBUTE want[] = {
        { CKA_CLASS, &trust_class, sizeof trust_class },
        { trust_type, &delegator, sizeof delegator },
    };
    CK_OBJECT_HANDLE *trusts = calloc(MAX_OBJECTS, sizeof *trusts);
    if (!trusts) return -1;
    CK_ULONG n = find(f, s, want, 2, trusts, MAX_OBJECTS);
    for (CK_ULONG i = 0; i < n; i++) {
        unsigned char *issuer = NULL, *serial = NULL, *sha1 = NULL;
        CK_ULONG issuer_len = 0, serial_len = 0, sha1_len = 0;
        if (!get_attribute(f, s, trusts[i], CKA_ISSUER, &issuer, &issuer_len) ||
            !get_attribute(f, s, trusts[i], CKA_SERIAL_NUMBER, &serial, &serial_len)) {
            free(issuer); free(serial);
            continue;
        }
        get_attribute(f, s, trusts[i], CKA_CERT_SHA1_HASH, &sha1, &sha1_len);
        // The certificate the trust object speaks of: same issuer and serial number.
        CK_OBJECT_CLASS cert_class = CKO_CERTIFICATE;
        CK_ATTRIBUTE match[] = {
            { CKA_CLASS, &cert_class, sizeof cert_class },
            { CKA_ISSUER, issuer, issuer_len },
            { CKA_SERIAL_NUMBER, serial, serial_len },
        };
        CK_OBJECT_HANDLE certs[4];
        CK_ULONG m = find(f, s, match, 3, certs, 4);
        for (CK_ULONG j = 0; j < m; j++) {
            unsigned char *der = NULL;
            CK_ULONG der_len = 0;
            if (!get_attribute(f, s, certs[j], CKA_VALUE, &der, &der_len)) continue;
            if (*count == *capacity) {
                long grown = *capacity ? *capacity * 2 : 256;
                smk_nss_root *r = realloc(*roots, (size_t)grown * sizeof **roots);
                if (!r) { free(der); break; }
                *roots = r; *capacity = grown;
            }
            smk_nss_root *root = &(*roots)[(*count)++];
            memset(root, 0, sizeof *root);
            root->der = der;
            root->der_len = der_len;
            if (sha1 && sha1_len == 20) { memcpy(root->sha1, sha1, 20); root->has_sha1 = 1; }
            unsigned char *distrust = NULL;
            CK_ULONG distrust_len = 0;
            // CK_FALSE (one zero byte) when there is no such date.
            if (get_attribute(f, s, certs[j], CKA_NSS_EMAIL_DISTRUST_AFTER, &distrust, &distrust_len) &&
                distrust_len > 1 && distrust_len < sizeof root->email_distrust_after) {
                memcpy(root->email_distrust_after, distrust, distrust_len);
                root->email_distrust_after[distrust_len] = 0;
                root->has_email_distrust_after = 1;
            }
            free(distrust);
        }
        free(issuer); free(serial); free(sha1);
    }
    free(trusts);
    return 0;
}

long smk_nss_trusted_roots(const char *module, int purpose, smk_nss_root **out, char *err, size_t errlen) {
    *out = NULL;
    if (errlen) err[0] = 0;
    CK_ATTRIBUTE_TYPE trust_type = purpose == SMK_NSS_PURPOSE_SERVER_AUTH ? CKA_TRUST_SERVER_AUTH : CKA_TRUST_EMAIL_PROTECTION;

    pthread_mutex_lock(&lock);
    // Never closed: a PKCS#11 module may keep threads or atexit handlers.
    void *handle = dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        if (errlen) snprintf(err, errlen, "cannot load %s (%s)", module, dlerror());
        pthread_mutex_unlock(&lock);
        return -1;
    }
    CK_C_GetFunctionList get_list = (CK_C_GetFunctionList)dlsym(handle, "C_GetFunctionList");
    CK_FUNCTION_LIST_PTR f = NULL;
    if (!get_list || get_list(&f) != CKR_OK || !f) {
        say(err, errlen, "%s is not a PKCS#11 module (no C_GetFunctionList)", module, 0);
        pthread_mutex_unlock(&lock);
        return -1;
    }
    CK_C_INITIALIZE_ARGS args;
    memset(&args, 0, sizeof args);
    args.flags = CKF_OS_LOCKING_OK;
    CK_RV rv = f->C_Initialize(&args);
    int we_initialised = rv == CKR_OK;
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        say(err, errlen, "%s did not initialise (PKCS#11 error 0x%lx)", module, (unsigned long)rv);
        pthread_mutex_unlock(&lock);
        return -1;
    }

    smk_nss_root *roots = NULL;
    long count = 0, capacity = 0;
    CK_ULONG slot_count = 0;
    CK_SLOT_ID slots[64];
    if (f->C_GetSlotList(CK_TRUE, NULL, &slot_count) == CKR_OK) {
        if (slot_count > 64) slot_count = 64;
        if (f->C_GetSlotList(CK_TRUE, slots, &slot_count) != CKR_OK) slot_count = 0;
    }
    for (CK_ULONG i = 0; i < slot_count; i++) {
        CK_SESSION_HANDLE s;
        if (f->C_OpenSession(slots[i], CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK) continue;
        collect(f, s, trust_type, &roots, &count, &capacity);
        f->C_CloseSession(s);
    }
    if (we_initialised) f->C_Finalize(NULL);
    pthread_mutex_unlock(&lock);
    if (slot_count == 0) {
        say(err, errlen, "%s offers no token with certificates", module, 0);
        free(roots);
        return -1;
    }
    *out = roots;
    return count;
}

void smk_nss_roots_free(smk_nss_root *roots, long count) {
    if (!roots) return;
    for (long i = 0; i < count; i++) free(roots[i].der);
    free(roots);
}

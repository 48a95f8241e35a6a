#include "CICUShim.h"
#include <unicode/uspoof.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <pthread.h>
#include <stdlib.h>

// One checker for the process: ICU documents uspoof_getSkeleton as safe to call
// from several threads on the same checker once it is no longer modified.
static USpoofChecker *checker;
static pthread_once_t checker_once = PTHREAD_ONCE_INIT;
static void open_checker(void) {
    UErrorCode e = U_ZERO_ERROR;
    USpoofChecker *c = uspoof_open(&e);
    if (U_SUCCESS(e)) checker = c;
}

int32_t smk_icu_skeleton(const char *in, int32_t len, char *out, int32_t cap) {
    pthread_once(&checker_once, open_checker);
    if (!checker) return -1;
    UErrorCode e = U_ZERO_ERROR;
    int32_t n = uspoof_getSkeletonUTF8(checker, 0, in, len, out, cap, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) return n;
    return U_SUCCESS(e) ? n : -1;
}

int32_t smk_icu_nfkc(const char *in, int32_t len, char *out, int32_t cap) {
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = unorm2_getNFKCInstance(&e);
    if (U_FAILURE(e)) return -1;
    int32_t n16 = 0;
    u_strFromUTF8WithSub(NULL, 0, &n16, in, len, 0xFFFD, NULL, &e);
    if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e)) return -1;
    e = U_ZERO_ERROR;
    UChar *src = malloc(sizeof(UChar) * (size_t)(n16 + 1));
    if (!src) return -1;
    u_strFromUTF8WithSub(src, n16 + 1, NULL, in, len, 0xFFFD, NULL, &e);
    if (U_FAILURE(e)) { free(src); return -1; }
    // NFKC expands by at most a factor of 18 (U+FDFA); ask ICU for the size first.
    int32_t nn = unorm2_normalize(nfkc, src, n16, NULL, 0, &e);
    if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e)) { free(src); return -1; }
    e = U_ZERO_ERROR;
    UChar *norm = malloc(sizeof(UChar) * (size_t)(nn + 1));
    if (!norm) { free(src); return -1; }
    unorm2_normalize(nfkc, src, n16, norm, nn + 1, &e);
    free(src);
    if (U_FAILURE(e)) { free(norm); return -1; }
    int32_t n8 = 0;
    u_strToUTF8(out, cap, &n8, norm, nn, &e);
    free(norm);
    if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) return n8;
    return U_SUCCESS(e) ? n8 : -1;
}

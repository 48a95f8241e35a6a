#include "CICUShim.h"
#include <unicode/uspoof.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// The system ICU is opened on first use, not linked: only the sender check
// needs it, and loading and relocating libicui18n, libicuuc and libicudata at
// every start would cost each run of status or query about a tenth of its
// start-up (issue 17). Its functions carry the version suffix of the headers
// built against (uspoof_open is uspoof_open_72), and so does the library's soname.
#define SMK_STR2(x) #x
#define SMK_STR(x) SMK_STR2(x)
#define SMK_ICU_LIBRARY "libicui18n.so." SMK_STR(U_ICU_VERSION_MAJOR_NUM)

static struct {
    __typeof__(&uspoof_open) spoof_open;
    __typeof__(&uspoof_getSkeletonUTF8) skeleton;
    __typeof__(&unorm2_getNFKCInstance) nfkc_instance;
    __typeof__(&unorm2_normalize) normalize;
    __typeof__(&u_strFromUTF8WithSub) from_utf8;
    __typeof__(&u_strToUTF8) to_utf8;
} icu;
static pthread_once_t icu_once = PTHREAD_ONCE_INIT;

// One checker for the process: ICU documents uspoof_getSkeleton as safe to call
// from several threads on the same checker once it is no longer modified.
static USpoofChecker *checker;

// Without ICU the sender check cannot be made, and skipping it would pass
// look-alike senders: stop, as the dynamic loader did when ICU was linked.
static void icu_missing(const char *what) {
    fprintf(stderr, "smimekit: cannot load %s (%s), which the sender check needs\n", SMK_ICU_LIBRARY, what);
    exit(2);
}

static void load_icu(void) {
    // libicui18n's own dependency, libicuuc, comes with it; dlsym searches both.
    void *h = dlopen(SMK_ICU_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!h) icu_missing(dlerror());
    icu.spoof_open = (__typeof__(icu.spoof_open))dlsym(h, SMK_STR(uspoof_open));
    icu.skeleton = (__typeof__(icu.skeleton))dlsym(h, SMK_STR(uspoof_getSkeletonUTF8));
    icu.nfkc_instance = (__typeof__(icu.nfkc_instance))dlsym(h, SMK_STR(unorm2_getNFKCInstance));
    icu.normalize = (__typeof__(icu.normalize))dlsym(h, SMK_STR(unorm2_normalize));
    icu.from_utf8 = (__typeof__(icu.from_utf8))dlsym(h, SMK_STR(u_strFromUTF8WithSub));
    icu.to_utf8 = (__typeof__(icu.to_utf8))dlsym(h, SMK_STR(u_strToUTF8));
    if (!icu.spoof_open || !icu.skeleton || !icu.nfkc_instance || !icu.normalize || !icu.from_utf8 || !icu.to_utf8)
        icu_missing("a function is missing");
    UErrorCode e = U_ZERO_ERROR;
    USpoofChecker *c = icu.spoof_open(&e);
    if (U_SUCCESS(e)) checker = c;
}

int32_t smk_icu_skeleton(const char *in, int32_t len, char *out, int32_t cap) {
    pthread_once(&icu_once, load_icu);
    if (!checker) return -1;  // ICU is there, but uspoof_open failed
    UErrorCode e = U_ZERO_ERROR;
    int32_t n = icu.skeleton(checker, 0, in, len, out, cap, &e);
    if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) return n;
    return U_SUCCESS(e) ? n : -1;
}

int32_t smk_icu_nfkc(const char *in, int32_t len, char *out, int32_t cap) {
    pthread_once(&icu_once, load_icu);
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *nfkc = icu.nfkc_instance(&e);
    if (U_FAILURE(e)) return -1;
    int32_t n16 = 0;
    icu.from_utf8(NULL, 0, &n16, in, len, 0xFFFD, NULL, &e);
    if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e)) return -1;
    e = U_ZERO_ERROR;
    UChar *src = malloc(sizeof(UChar) * (size_t)(n16 + 1));
    if (!src) return -1;
    icu.from_utf8(src, n16 + 1, NULL, in, len, 0xFFFD, NULL, &e);
    if (U_FAILURE(e)) { free(src); return -1; }
    // NFKC expands by at most a factor of 18 (U+FDFA); ask ICU for the size first.
    int32_t nn = icu.normalize(nfkc, src, n16, NULL, 0, &e);
    if (e != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(e)) { free(src); return -1; }
    e = U_ZERO_ERROR;
    UChar *norm = malloc(sizeof(UChar) * (size_t)(nn + 1));
    if (!norm) { free(src); return -1; }
    icu.normalize(nfkc, src, n16, norm, nn + 1, &e);
    free(src);
    if (U_FAILURE(e)) { free(norm); return -1; }
    int32_t n8 = 0;
    icu.to_utf8(out, cap, &n8, norm, nn, &e);
    free(norm);
    if (e == U_BUFFER_OVERFLOW_ERROR || e == U_STRING_NOT_TERMINATED_WARNING) return n8;
    return U_SUCCESS(e) ? n8 : -1;
}

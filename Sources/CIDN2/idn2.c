#include "CIDN2.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

// The soname libidn2 has had since its first release.
#define SMK_IDN2_LIBRARY "libidn2.so.0"

static struct {
    __typeof__(&idn2_lookup_u8) lookup_u8;
    __typeof__(&idn2_to_unicode_8z8z) to_unicode_8z8z;
    __typeof__(&idn2_free) free;
} idn2;
static pthread_once_t idn2_once = PTHREAD_ONCE_INIT;

// Without libidn2 the sender check cannot tell valid IDNA2008 labels: stop, as
// the dynamic loader did when it was linked, rather than answer wrongly.
static void idn2_missing(const char *what) {
    fprintf(stderr, "smimekit: cannot load %s (%s), which the sender check needs\n", SMK_IDN2_LIBRARY, what);
    exit(2);
}

static void load_idn2(void) {
    void *h = dlopen(SMK_IDN2_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (!h) idn2_missing(dlerror());
    __typeof__(idn2) f;
    f.lookup_u8 = (__typeof__(f.lookup_u8))dlsym(h, "idn2_lookup_u8");
    f.to_unicode_8z8z = (__typeof__(f.to_unicode_8z8z))dlsym(h, "idn2_to_unicode_8z8z");
    f.free = (__typeof__(f.free))dlsym(h, "idn2_free");
    if (!f.lookup_u8 || !f.to_unicode_8z8z || !f.free) idn2_missing("a function is missing");
    idn2 = f;
}

int smk_idn2_lookup_u8(const uint8_t *src, uint8_t **lookupname, int flags) {
    pthread_once(&idn2_once, load_idn2);
    return idn2.lookup_u8(src, lookupname, flags);
}

int smk_idn2_to_unicode_8z8z(const char *input, char **output, int flags) {
    pthread_once(&idn2_once, load_idn2);
    return idn2.to_unicode_8z8z(input, output, flags);
}

void smk_idn2_free(void *ptr) {
    // Only ever called on what the two above returned, so libidn2 is loaded.
    idn2.free(ptr);
}

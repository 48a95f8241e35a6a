// The system ICU behind version-independent names: ICU's own functions carry
// a version suffix (uspoof_open_72) that Swift would have to spell out.
#include <stdint.h>

// NFKC of the UTF-8 text `in` (length `len`), written as UTF-8 to `out`
// (capacity `cap`). Returns the length of the result (which may exceed `cap`:
// call again with more room), or -1 on error.
int32_t smk_icu_nfkc(const char *in, int32_t len, char *out, int32_t cap);

// The UTS #39 confusable skeleton of the UTF-8 text `in`, as `smk_icu_nfkc`
// returns its result. Two strings are confusable when their skeletons are equal.
int32_t smk_icu_skeleton(const char *in, int32_t len, char *out, int32_t cap);

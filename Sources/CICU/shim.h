// The system ICU (libicu-dev): UTS #39 skeletons and NFKC for the sender check.
#include <unicode/uspoof.h>
#include <unicode/unorm2.h>
#include <unicode/uchar.h>

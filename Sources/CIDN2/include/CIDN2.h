// libidn2 (IDNA2008) behind functions of our own that open it on first use:
// only the sender check needs it, and loading it at every start would cost each
// run of status or query its relocations (issue 17). The constants (IDN2_OK,
// IDN2_NONTRANSITIONAL, ...) are libidn2's own, from its header.
#include <idn2.h>
#include <stdint.h>

// idn2_lookup_u8, idn2_to_unicode_8z8z and idn2_free of the system libidn2.
// When it cannot be loaded, the first call says so on standard error and exits 2.
int smk_idn2_lookup_u8(const uint8_t *src, uint8_t **lookupname, int flags);
int smk_idn2_to_unicode_8z8z(const char *input, char **output, int flags);
void smk_idn2_free(void *ptr);

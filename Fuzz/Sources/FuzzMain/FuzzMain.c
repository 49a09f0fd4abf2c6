#include "FuzzMain.h"

#include <stddef.h>
#include <stdint.h>

/* Provided by libFuzzer (-sanitize=fuzzer). */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/* Provided by the harness, in Swift, with @_cdecl("LLVMFuzzerTestOneInput"). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int herald_fuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}

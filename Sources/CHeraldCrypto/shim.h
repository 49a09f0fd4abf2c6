#ifndef HERALD_CRYPTO_SHIM_H
#define HERALD_CRYPTO_SHIM_H
/* Only SHA-256 is used: stable Message-IDs, content fingerprints, the review manifest
   (incrementally, through EVP). */
#include <openssl/sha.h>
#include <openssl/evp.h>
#include <openssl/crypto.h>

/* Initialises libcrypto without its exit-time cleanup (OPENSSL_INIT_NO_ATEXIT): effective only
   as the process's first libcrypto call. */
static inline int herald_crypto_init_without_atexit(void) {
    return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
}
#endif

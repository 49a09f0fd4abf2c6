#ifndef HERALD_CRYPTO_SHIM_H
#define HERALD_CRYPTO_SHIM_H
/* Only SHA-256 is used: stable Message-IDs, content fingerprints, the review manifest
   (incrementally, through EVP). */
#include <openssl/sha.h>
#include <openssl/evp.h>
#endif

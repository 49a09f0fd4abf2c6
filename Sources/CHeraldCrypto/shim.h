#ifndef HERALD_CRYPTO_SHIM_H
#define HERALD_CRYPTO_SHIM_H
/* Only SHA-256 is used: stable Message-IDs and content fingerprints. */
#include <openssl/sha.h>
#include <openssl/evp.h>
#endif

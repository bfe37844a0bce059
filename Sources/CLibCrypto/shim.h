#ifndef LIENTHONG_CLIBCRYPTO_SHIM_H
#define LIENTHONG_CLIBCRYPTO_SHIM_H

// libcrypto's functions import as they are; the shim only gathers the headers.
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#endif

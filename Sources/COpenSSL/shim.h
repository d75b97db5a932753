#ifndef MAILSH_COPENSSL_SHIM_H
#define MAILSH_COPENSSL_SHIM_H

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

/// EVP_CIPHER_CTX_ctrl is a plain function but its GCM control codes are macros; expose them as functions.
static inline int CMailsh_EVP_GCM_set_ivlen(EVP_CIPHER_CTX *ctx, int len) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, len, NULL);
}
static inline int CMailsh_EVP_GCM_get_tag(EVP_CIPHER_CTX *ctx, int len, unsigned char *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, len, tag);
}
static inline int CMailsh_EVP_GCM_set_tag(EVP_CIPHER_CTX *ctx, int len, unsigned char *tag) {
    return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, len, tag);
}
/// OPENSSL_cleanse is a function, but keep every call from Swift behind the shim's prefix.
static inline void CMailsh_cleanse(void *ptr, size_t len) { OPENSSL_cleanse(ptr, len); }

#endif

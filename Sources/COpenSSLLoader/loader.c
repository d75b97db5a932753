/* The OpenSSL (libcrypto) functions mailsh calls through COpenSSL, each forwarding to libcrypto.so.3, which the first
   call opens (dlopen): a process that seals, opens or digests nothing and reads no certificate (`account list`,
   `--version`, completion) never loads OpenSSL nor runs its initialisers. COpenSSL's module map links nothing; the
   targets that import COpenSSL depend on this one. A function called for the first time (from Swift or from an
   inline shim in COpenSSL/shim.h) must be added here: the link fails until it is. None of them is in libssl. */
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include "lazy_library.h"

LAZY_LIBRARY("libcrypto.so.3", "Debian's libssl3")

#define REAL(name) LAZY_REAL(name)
#define SLOT(name) LAZY_SLOT(name)

/* Errors. */
SLOT(ERR_clear_error);
void ERR_clear_error(void) { REAL(ERR_clear_error)(); }
SLOT(ERR_get_error);
unsigned long ERR_get_error(void) { return REAL(ERR_get_error)(); }
SLOT(ERR_error_string_n);
void ERR_error_string_n(unsigned long e, char *buf, size_t len) { REAL(ERR_error_string_n)(e, buf, len); }

/* Memory. */
SLOT(OPENSSL_cleanse);
void OPENSSL_cleanse(void *ptr, size_t len) { REAL(OPENSSL_cleanse)(ptr, len); }
SLOT(CRYPTO_free);
void CRYPTO_free(void *ptr, const char *file, int line) { REAL(CRYPTO_free)(ptr, file, line); }
SLOT(RAND_bytes);
int RAND_bytes(unsigned char *buf, int num) { return REAL(RAND_bytes)(buf, num); }

/* Digests and AES-GCM. */
SLOT(EVP_sha256);
const EVP_MD *EVP_sha256(void) { return REAL(EVP_sha256)(); }
SLOT(EVP_Digest);
int EVP_Digest(const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,
               ENGINE *impl) {
    return REAL(EVP_Digest)(data, count, md, size, type, impl);
}
SLOT(EVP_aes_256_gcm);
const EVP_CIPHER *EVP_aes_256_gcm(void) { return REAL(EVP_aes_256_gcm)(); }
SLOT(EVP_CIPHER_CTX_new);
EVP_CIPHER_CTX *EVP_CIPHER_CTX_new(void) { return REAL(EVP_CIPHER_CTX_new)(); }
SLOT(EVP_CIPHER_CTX_free);
void EVP_CIPHER_CTX_free(EVP_CIPHER_CTX *c) { REAL(EVP_CIPHER_CTX_free)(c); }
SLOT(EVP_CIPHER_CTX_ctrl);
int EVP_CIPHER_CTX_ctrl(EVP_CIPHER_CTX *ctx, int type, int arg, void *ptr) {
    return REAL(EVP_CIPHER_CTX_ctrl)(ctx, type, arg, ptr);
}
SLOT(EVP_EncryptInit_ex);
int EVP_EncryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key,
                       const unsigned char *iv) {
    return REAL(EVP_EncryptInit_ex)(ctx, cipher, impl, key, iv);
}
SLOT(EVP_EncryptUpdate);
int EVP_EncryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl) {
    return REAL(EVP_EncryptUpdate)(ctx, out, outl, in, inl);
}
SLOT(EVP_EncryptFinal_ex);
int EVP_EncryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl) {
    return REAL(EVP_EncryptFinal_ex)(ctx, out, outl);
}
SLOT(EVP_DecryptInit_ex);
int EVP_DecryptInit_ex(EVP_CIPHER_CTX *ctx, const EVP_CIPHER *cipher, ENGINE *impl, const unsigned char *key,
                       const unsigned char *iv) {
    return REAL(EVP_DecryptInit_ex)(ctx, cipher, impl, key, iv);
}
SLOT(EVP_DecryptUpdate);
int EVP_DecryptUpdate(EVP_CIPHER_CTX *ctx, unsigned char *out, int *outl, const unsigned char *in, int inl) {
    return REAL(EVP_DecryptUpdate)(ctx, out, outl, in, inl);
}
SLOT(EVP_DecryptFinal_ex);
int EVP_DecryptFinal_ex(EVP_CIPHER_CTX *ctx, unsigned char *outm, int *outl) {
    return REAL(EVP_DecryptFinal_ex)(ctx, outm, outl);
}

/* Memory BIOs. */
SLOT(BIO_new);
BIO *BIO_new(const BIO_METHOD *type) { return REAL(BIO_new)(type); }
SLOT(BIO_s_mem);
const BIO_METHOD *BIO_s_mem(void) { return REAL(BIO_s_mem)(); }
SLOT(BIO_new_mem_buf);
BIO *BIO_new_mem_buf(const void *buf, int len) { return REAL(BIO_new_mem_buf)(buf, len); }
SLOT(BIO_free);
int BIO_free(BIO *a) { return REAL(BIO_free)(a); }
SLOT(BIO_ctrl);
long BIO_ctrl(BIO *bp, int cmd, long larg, void *parg) { return REAL(BIO_ctrl)(bp, cmd, larg, parg); }
SLOT(BIO_vprintf);
int BIO_vprintf(BIO *bio, const char *format, va_list args) { return REAL(BIO_vprintf)(bio, format, args); }
/* Variadic: forwarded through BIO_vprintf. */
int BIO_printf(BIO *bio, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int written = BIO_vprintf(bio, format, arguments);
    va_end(arguments);
    return written;
}

/* Certificates. */
SLOT(PEM_read_bio_X509);
X509 *PEM_read_bio_X509(BIO *out, X509 **x, pem_password_cb *cb, void *u) {
    return REAL(PEM_read_bio_X509)(out, x, cb, u);
}
SLOT(X509_free);
void X509_free(X509 *a) { REAL(X509_free)(a); }
SLOT(X509_get_subject_name);
X509_NAME *X509_get_subject_name(const X509 *a) { return REAL(X509_get_subject_name)(a); }
SLOT(X509_get_issuer_name);
X509_NAME *X509_get_issuer_name(const X509 *a) { return REAL(X509_get_issuer_name)(a); }
SLOT(X509_get_serialNumber);
ASN1_INTEGER *X509_get_serialNumber(X509 *x) { return REAL(X509_get_serialNumber)(x); }
SLOT(X509_get_signature_nid);
int X509_get_signature_nid(const X509 *x) { return REAL(X509_get_signature_nid)(x); }
SLOT(X509_get0_pubkey);
EVP_PKEY *X509_get0_pubkey(const X509 *x) { return REAL(X509_get0_pubkey)(x); }
SLOT(X509_get0_notBefore);
const ASN1_TIME *X509_get0_notBefore(const X509 *x) { return REAL(X509_get0_notBefore)(x); }
SLOT(X509_get0_notAfter);
const ASN1_TIME *X509_get0_notAfter(const X509 *x) { return REAL(X509_get0_notAfter)(x); }
SLOT(X509_digest);
int X509_digest(const X509 *data, const EVP_MD *type, unsigned char *md, unsigned int *len) {
    return REAL(X509_digest)(data, type, md, len);
}
SLOT(X509_get_ext_d2i);
void *X509_get_ext_d2i(const X509 *x, int nid, int *crit, int *idx) { return REAL(X509_get_ext_d2i)(x, nid, crit, idx); }
SLOT(X509_NAME_print_ex);
int X509_NAME_print_ex(BIO *out, const X509_NAME *nm, int indent, unsigned long flags) {
    return REAL(X509_NAME_print_ex)(out, nm, indent, flags);
}
SLOT(X509_verify_cert_error_string);
const char *X509_verify_cert_error_string(long n) { return REAL(X509_verify_cert_error_string)(n); }
SLOT(GENERAL_NAMES_free);
void GENERAL_NAMES_free(GENERAL_NAMES *a) { REAL(GENERAL_NAMES_free)(a); }
SLOT(OPENSSL_sk_num);
int OPENSSL_sk_num(const OPENSSL_STACK *stack) { return REAL(OPENSSL_sk_num)(stack); }
SLOT(OPENSSL_sk_value);
void *OPENSSL_sk_value(const OPENSSL_STACK *stack, int index) { return REAL(OPENSSL_sk_value)(stack, index); }
SLOT(EVP_PKEY_get_base_id);
int EVP_PKEY_get_base_id(const EVP_PKEY *pkey) { return REAL(EVP_PKEY_get_base_id)(pkey); }
SLOT(EVP_PKEY_get_bits);
int EVP_PKEY_get_bits(const EVP_PKEY *pkey) { return REAL(EVP_PKEY_get_bits)(pkey); }
SLOT(OBJ_nid2sn);
const char *OBJ_nid2sn(int n) { return REAL(OBJ_nid2sn)(n); }
SLOT(OBJ_nid2ln);
const char *OBJ_nid2ln(int n) { return REAL(OBJ_nid2ln)(n); }

/* ASN.1 values. */
SLOT(ASN1_TIME_to_tm);
int ASN1_TIME_to_tm(const ASN1_TIME *s, struct tm *tm) { return REAL(ASN1_TIME_to_tm)(s, tm); }
SLOT(ASN1_INTEGER_to_BN);
BIGNUM *ASN1_INTEGER_to_BN(const ASN1_INTEGER *ai, BIGNUM *bn) { return REAL(ASN1_INTEGER_to_BN)(ai, bn); }
SLOT(ASN1_STRING_length);
int ASN1_STRING_length(const ASN1_STRING *x) { return REAL(ASN1_STRING_length)(x); }
SLOT(ASN1_STRING_get0_data);
const unsigned char *ASN1_STRING_get0_data(const ASN1_STRING *x) { return REAL(ASN1_STRING_get0_data)(x); }
SLOT(BN_bn2hex);
char *BN_bn2hex(const BIGNUM *a) { return REAL(BN_bn2hex)(a); }
SLOT(BN_free);
void BN_free(BIGNUM *a) { REAL(BN_free)(a); }

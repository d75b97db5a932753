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

/* Certificates, for the certificate reader (MailshCrypto/CertificateReader.swift). */
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

/// OPENSSL_free is a macro.
static inline void CMailsh_OPENSSL_free(void *ptr) { OPENSSL_free(ptr); }

/// Copies a memory BIO's contents into a NUL-terminated malloc'd string (free with free()); BIO_get_mem_data is a macro.
static inline char *CMailsh_BIO_to_string(BIO *bio) {
    char *data = NULL;
    long length = BIO_get_mem_data(bio, &data);
    if (length < 0) length = 0;
    char *copy = (char *)malloc((size_t)length + 1);
    if (copy == NULL) return NULL;
    if (length > 0) memcpy(copy, data, (size_t)length);
    copy[length] = 0;
    return copy;
}

/// A distinguished name as RFC 4514 text (most specific first, UTF-8 kept), malloc'd; XN_FLAG_* are macros.
static inline char *CMailsh_X509_NAME_text(const X509_NAME *name) {
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) return NULL;
    X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
    char *text = CMailsh_BIO_to_string(bio);
    BIO_free(bio);
    return text;
}

/// The subject alternative names, one per line (`DNS:…`, `IP:…`, `email:…`, `URI:…`), malloc'd; NULL when none.
/// The sk_GENERAL_NAME_* accessors are macros.
static inline char *CMailsh_X509_alt_names(X509 *cert) {
    GENERAL_NAMES *names = (GENERAL_NAMES *)X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (names == NULL) return NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) { GENERAL_NAMES_free(names); return NULL; }
    int count = sk_GENERAL_NAME_num(names);
    for (int i = 0; i < count; i++) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, i);
        const ASN1_STRING *text = NULL;
        const char *label = NULL;
        switch (name->type) {
        case GEN_DNS: label = "DNS:"; text = name->d.dNSName; break;
        case GEN_EMAIL: label = "email:"; text = name->d.rfc822Name; break;
        case GEN_URI: label = "URI:"; text = name->d.uniformResourceIdentifier; break;
        case GEN_IPADD: {
            char address[INET6_ADDRSTRLEN] = {0};
            const ASN1_OCTET_STRING *ip = name->d.iPAddress;
            int family = ASN1_STRING_length(ip) == 4 ? AF_INET : ASN1_STRING_length(ip) == 16 ? AF_INET6 : 0;
            if (family != 0 && inet_ntop(family, ASN1_STRING_get0_data(ip), address, sizeof address) != NULL) {
                BIO_printf(bio, "IP:%s\n", address);
            }
            continue;
        }
        default: continue;
        }
        BIO_printf(bio, "%s%.*s\n", label, ASN1_STRING_length(text), (const char *)ASN1_STRING_get0_data(text));
    }
    GENERAL_NAMES_free(names);
    char *result = CMailsh_BIO_to_string(bio);
    BIO_free(bio);
    return result;
}

#endif

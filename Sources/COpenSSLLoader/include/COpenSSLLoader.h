/* Nothing to import: COpenSSLLoader only defines, for the linker, the libcrypto functions COpenSSL's users call
   (loader.c). */

#ifndef MAILSH_CICONV_SHIM_H
#define MAILSH_CICONV_SHIM_H
#include <errno.h>
#include <iconv.h>
#include <stddef.h>

/* glibc's iconv, for MailshMessage's charset conversion. iconv_t is `(iconv_t)-1` on failure, which Swift can't
   compare against: CMailshIconv_open returns NULL instead. Every symbol prefixed. */

/* A descriptor converting `from` to UTF-8, or NULL when glibc does not know `from`. */
static inline iconv_t CMailshIconv_open(const char *from) {
    iconv_t cd = iconv_open("UTF-8", from);
    return cd == (iconv_t)-1 ? NULL : cd;
}

static inline void CMailshIconv_close(iconv_t cd) { iconv_close(cd); }

/* Converts in[0..<inLength] to UTF-8 into out (capacity outCapacity), from the initial shift state. A byte that
   starts an invalid or incomplete sequence becomes U+FFFD and is skipped, and *replaced is set to 1. Returns the
   bytes written, or -1 when out is too small (call again with more room). */
static inline long CMailshIconv_toUTF8(iconv_t cd, const unsigned char *in, size_t inLength, unsigned char *out,
                                       size_t outCapacity, int *replaced) {
    char *input = (char *)in, *output = (char *)out;
    size_t inLeft = inLength, outLeft = outCapacity;
    iconv(cd, NULL, NULL, NULL, NULL);
    while (inLeft > 0) {
        if (iconv(cd, &input, &inLeft, &output, &outLeft) != (size_t)-1) break;
        if (errno == E2BIG) return -1;
        /* EILSEQ or EINVAL: replace the byte, start again from the initial shift state. */
        if (outLeft < 3) return -1;
        *output++ = (char)0xEF;
        *output++ = (char)0xBF;
        *output++ = (char)0xBD;
        outLeft -= 3;
        input++;
        inLeft--;
        *replaced = 1;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    if (iconv(cd, NULL, NULL, &output, &outLeft) == (size_t)-1) return -1;
    return (long)(outCapacity - outLeft);
}

#endif

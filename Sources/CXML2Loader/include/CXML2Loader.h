#ifndef MAILSH_CXML2LOADER_H
#define MAILSH_CXML2LOADER_H
/* Reading an XML document through libxml2's SAX2 push parser, set up as Foundation's XMLParser (swift-corelibs-foundation,
   FoundationXML) sets it up, so that mailsh needs neither FoundationXML nor libxml2 at start: libxml2.so.2 is opened by
   the first parse (loader.c). Only the events the autoconfig reader uses reach the caller. No libxml2 type appears
   here: the caller needs no libxml2 header. */
#include <stddef.h>

/* What the caller is told, in document order. `context` is handed back unchanged. Names are NUL-terminated UTF-8;
   `prefix` is NULL for an unprefixed name. `type`/`typeLength` is the value of the element's last unprefixed `type`
   attribute (not NUL-terminated; NULL when there is none), entities already replaced. */
typedef struct CMailshXMLEvents {
    void *context;
    void (*startElement)(void *context, const char *prefix, const char *localName, const unsigned char *type,
                         int typeLength);
    void (*endElement)(void *context, const char *prefix, const char *localName);
    void (*characters)(void *context, const unsigned char *bytes, int length);
    void (*cdata)(void *context, const unsigned char *bytes, int length);
} CMailshXMLEvents;

/* How a parse ended: `failed` 0 or 1; on failure `code` is libxml2's error code (an xmlParserErrors value, as
   XMLParser's NSError carries it) and `line` the line libxml2's input was at when the parse ended. */
typedef struct CMailshXMLOutcome {
    int failed;
    int code;
    int line;
} CMailshXMLOutcome;

/* Parses `count` bytes: no DTD loaded, no external entity loaded (any URL: none is fetched), entities replaced,
   errors recovered from as far as libxml2 can (as XMLParser asks) and the last one reported. Fewer than 4 bytes are
   not parsed at all and succeed with no event (as XMLParser does). Exits with a message naming the library when
   libxml2.so.2 cannot be loaded. */
CMailshXMLOutcome CMailshXML_parse(const unsigned char *bytes, size_t count, const CMailshXMLEvents *events);
#endif

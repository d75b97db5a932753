/* The libxml2 functions the autoconfig reader (autoconfig_sax.c) calls, each forwarding to libxml2.so.2, which the first
   call opens (dlopen): only a process that reads an autoconfig document (`discover`, Lua's mail.account.discover)
   loads libxml2, nor ICU, liblzma and zlib behind it. Nothing links libxml2; MailshDiscovery depends on this target.
   A function called for the first time must be added here: the link fails until it is. */
#include <libxml/parser.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/valid.h>
#include <libxml/xmlerror.h>
#include "lazy_library.h"

LAZY_LIBRARY("libxml2.so.2", "Debian's libxml2")

#define REAL(name) LAZY_REAL(name)
#define SLOT(name) LAZY_SLOT(name)

SLOT(xmlInitParser);
void xmlInitParser(void) { REAL(xmlInitParser)(); }
SLOT(xmlSetExternalEntityLoader);
void xmlSetExternalEntityLoader(xmlExternalEntityLoader f) { REAL(xmlSetExternalEntityLoader)(f); }
SLOT(xmlSetStructuredErrorFunc);
void xmlSetStructuredErrorFunc(void *ctx, xmlStructuredErrorFunc handler) {
    REAL(xmlSetStructuredErrorFunc)(ctx, handler);
}
SLOT(xmlCreatePushParserCtxt);
xmlParserCtxtPtr xmlCreatePushParserCtxt(xmlSAXHandlerPtr sax, void *user_data, const char *chunk, int size,
                                         const char *filename) {
    return REAL(xmlCreatePushParserCtxt)(sax, user_data, chunk, size, filename);
}
SLOT(xmlCtxtUseOptions);
int xmlCtxtUseOptions(xmlParserCtxtPtr ctxt, int options) { return REAL(xmlCtxtUseOptions)(ctxt, options); }
SLOT(xmlParseChunk);
int xmlParseChunk(xmlParserCtxtPtr ctxt, const char *chunk, int size, int terminate) {
    return REAL(xmlParseChunk)(ctxt, chunk, size, terminate);
}
SLOT(xmlSAX2GetLineNumber);
int xmlSAX2GetLineNumber(void *ctx) { return REAL(xmlSAX2GetLineNumber)(ctx); }
SLOT(xmlFreeParserCtxt);
void xmlFreeParserCtxt(xmlParserCtxtPtr ctxt) { REAL(xmlFreeParserCtxt)(ctxt); }
SLOT(xmlFreeDoc);
void xmlFreeDoc(xmlDocPtr cur) { REAL(xmlFreeDoc)(cur); }
SLOT(xmlGetPredefinedEntity);
xmlEntityPtr xmlGetPredefinedEntity(const xmlChar *name) { return REAL(xmlGetPredefinedEntity)(name); }
SLOT(xmlSAX2GetEntity);
xmlEntityPtr xmlSAX2GetEntity(void *ctx, const xmlChar *name) { return REAL(xmlSAX2GetEntity)(ctx, name); }
SLOT(xmlSAX2InternalSubset);
void xmlSAX2InternalSubset(void *ctx, const xmlChar *name, const xmlChar *ExternalID, const xmlChar *SystemID) {
    REAL(xmlSAX2InternalSubset)(ctx, name, ExternalID, SystemID);
}
SLOT(xmlSAX2ExternalSubset);
void xmlSAX2ExternalSubset(void *ctx, const xmlChar *name, const xmlChar *ExternalID, const xmlChar *SystemID) {
    REAL(xmlSAX2ExternalSubset)(ctx, name, ExternalID, SystemID);
}
SLOT(xmlSAX2UnparsedEntityDecl);
void xmlSAX2UnparsedEntityDecl(void *ctx, const xmlChar *name, const xmlChar *publicId, const xmlChar *systemId,
                               const xmlChar *notationName) {
    REAL(xmlSAX2UnparsedEntityDecl)(ctx, name, publicId, systemId, notationName);
}
SLOT(xmlFreeEnumeration);
void xmlFreeEnumeration(xmlEnumerationPtr cur) { REAL(xmlFreeEnumeration)(cur); }

/* The SAX2 set-up of Foundation's XMLParser (swift-corelibs-foundation: FoundationXML/XMLParser.swift and
   _CFXMLInterface/CFXMLInterface.c), callback for callback, so that a document yields the same events, the same
   error code and the same line as it did through XMLParser(data:) with shouldResolveExternalEntities false and a
   delegate that reads elements, characters and CDATA. Tests/MailshDiscoveryTests/AutoconfigDifferentialTests.swift
   runs both on one corpus. */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/entities.h>
#include <libxml/valid.h>
#include <libxml/xmlerror.h>
#include <pthread.h>
#include <string.h>
#include "CXML2Loader.h"

/* One parse: the caller's events, the context once created, the last error libxml2 reported. */
typedef struct Parse {
    const CMailshXMLEvents *events;
    xmlParserCtxtPtr context;
    int lastError;
    int sawError;
    int inEntity;   /* XMLParser's "recursive state": the next characters are an entity's, already reported */
} Parse;

/* XMLParser's external entity loader with its default policy (never): nothing is loaded, from anywhere. */
static xmlParserInputPtr refuseExternalEntity(const char *url, const char *identifier, xmlParserCtxtPtr context) {
    (void)url; (void)identifier; (void)context;
    return NULL;
}

static pthread_once_t initialised = PTHREAD_ONCE_INIT;
static void initialise(void) {
    xmlInitParser();
    xmlSetExternalEntityLoader(refuseExternalEntity);
}

static void internalSubset(void *user, const xmlChar *name, const xmlChar *externalID, const xmlChar *systemID) {
    Parse *parse = user;
    if (parse->context != NULL) xmlSAX2InternalSubset(parse->context, name, externalID, systemID);
}

static void externalSubset(void *user, const xmlChar *name, const xmlChar *externalID, const xmlChar *systemID) {
    Parse *parse = user;
    if (parse->context != NULL) xmlSAX2ExternalSubset(parse->context, name, externalID, systemID);
}

/* XMLParser reads these from the document it never builds (myDoc stays NULL without xmlSAX2StartDocument). */
static int isStandalone(void *user) {
    Parse *parse = user;
    return parse->context != NULL && parse->context->myDoc != NULL ? parse->context->myDoc->standalone : 0;
}
static int hasInternalSubset(void *user) {
    Parse *parse = user;
    return parse->context != NULL && parse->context->myDoc != NULL && parse->context->myDoc->intSubset != NULL;
}
static int hasExternalSubset(void *user) {
    Parse *parse = user;
    return parse->context != NULL && parse->context->myDoc != NULL && parse->context->myDoc->extSubset != NULL;
}

static xmlEntityPtr getEntity(void *user, const xmlChar *name) {
    Parse *parse = user;
    xmlEntityPtr entity = xmlGetPredefinedEntity(name);
    if (entity == NULL && parse->context != NULL) {
        entity = xmlSAX2GetEntity(parse->context, name);
        if (entity != NULL && parse->context->instate == XML_PARSER_CONTENT) parse->inEntity = 1;
    }
    return entity;
}

static void notationDecl(void *user, const xmlChar *name, const xmlChar *publicId, const xmlChar *systemId) {
    (void)user; (void)name; (void)publicId; (void)systemId;
}

static void attributeDecl(void *user, const xmlChar *element, const xmlChar *name, int type, int def,
                          const xmlChar *defaultValue, xmlEnumerationPtr tree) {
    (void)user; (void)element; (void)name; (void)type; (void)def; (void)defaultValue;
    if (tree != NULL) xmlFreeEnumeration(tree);
}

static void elementDecl(void *user, const xmlChar *name, int type, xmlElementContentPtr content) {
    (void)user; (void)name; (void)type; (void)content;
}

static void unparsedEntityDecl(void *user, const xmlChar *name, const xmlChar *publicId, const xmlChar *systemId,
                               const xmlChar *notationName) {
    Parse *parse = user;
    if (parse->context != NULL) xmlSAX2UnparsedEntityDecl(parse->context, name, publicId, systemId, notationName);
}

static void startDocument(void *user) { (void)user; }
static void endDocument(void *user) { (void)user; }

static void startElementNs(void *user, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI,
                           int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                           const xmlChar **attributes) {
    (void)URI; (void)nb_namespaces; (void)namespaces; (void)nb_defaulted;
    Parse *parse = user;
    /* XMLParser's attribute dictionary: the last attribute named `type` without a prefix wins. */
    const unsigned char *type = NULL;
    int typeLength = 0;
    for (int i = 0; i < nb_attributes * 5; i += 5) {
        const xmlChar *name = attributes[i], *attributePrefix = attributes[i + 1];
        if (name == NULL || (attributePrefix != NULL && attributePrefix[0] != 0)) continue;
        if (strcmp((const char *)name, "type") != 0) continue;
        const xmlChar *value = attributes[i + 3], *end = attributes[i + 4];
        if (value == NULL || end == NULL) continue;
        type = value;
        typeLength = end - value > 0 ? (int)(end - value) : 0;
    }
    parse->events->startElement(parse->events->context, (const char *)prefix, (const char *)localname, type,
                                typeLength);
}

static void endElementNs(void *user, const xmlChar *localname, const xmlChar *prefix, const xmlChar *URI) {
    (void)URI;
    Parse *parse = user;
    parse->events->endElement(parse->events->context, (const char *)prefix, (const char *)localname);
}

static void characters(void *user, const xmlChar *ch, int len) {
    Parse *parse = user;
    if (parse->inEntity) {
        parse->inEntity = 0;
    } else {
        parse->events->characters(parse->events->context, ch, len);
    }
}

static void processingInstruction(void *user, const xmlChar *target, const xmlChar *data) {
    (void)user; (void)target; (void)data;
}

static void cdataBlock(void *user, const xmlChar *value, int len) {
    Parse *parse = user;
    parse->events->cdata(parse->events->context, value, len);
}

static void comment(void *user, const xmlChar *value) { (void)user; (void)value; }

/* XMLParser sets a plain error callback that reports nothing (errors go to the structured one). */
static void plainError(void *user, const char *message, ...) { (void)user; (void)message; }

static void structuredError(void *user, xmlErrorPtr error) {
    Parse *parse = user;
    parse->lastError = error->code;
    parse->sawError = 1;
}

CMailshXMLOutcome CMailshXML_parse(const unsigned char *bytes, size_t count, const CMailshXMLEvents *events) {
    CMailshXMLOutcome outcome = { 0, 0, 0 };
    /* XMLParser keeps fewer than 4 bytes for the next chunk, and with no next chunk reports success. */
    if (count < 4) return outcome;
    pthread_once(&initialised, initialise);

    xmlSAXHandler handler;
    memset(&handler, 0, sizeof handler);
    handler.internalSubset = internalSubset;
    handler.isStandalone = isStandalone;
    handler.hasInternalSubset = hasInternalSubset;
    handler.hasExternalSubset = hasExternalSubset;
    handler.getEntity = getEntity;
    handler.notationDecl = notationDecl;
    handler.attributeDecl = attributeDecl;
    handler.elementDecl = elementDecl;
    handler.unparsedEntityDecl = unparsedEntityDecl;
    handler.startDocument = startDocument;
    handler.endDocument = endDocument;
    handler.startElementNs = startElementNs;
    handler.endElementNs = endElementNs;
    handler.characters = characters;
    handler.processingInstruction = processingInstruction;
    handler.error = plainError;
    handler.cdataBlock = cdataBlock;
    handler.comment = comment;
    handler.externalSubset = externalSubset;
    handler.initialized = XML_SAX2_MAGIC;

    Parse parse = { events, NULL, 0, 0, 0 };
    xmlSetStructuredErrorFunc(&parse, structuredError);
    parse.context = xmlCreatePushParserCtxt(&handler, &parse, (const char *)bytes, 4, NULL);
    if (parse.context == NULL) {
        xmlSetStructuredErrorFunc(&parse, NULL);
        outcome.failed = 1;
        outcome.code = parse.sawError ? parse.lastError : 1; /* XMLParser.ErrorCode.outOfMemoryError */
        return outcome;
    }
    /* XMLParser's options: substitute entities, recover on errors (no DTD loading). */
    xmlCtxtUseOptions(parse.context, XML_PARSE_RECOVER | XML_PARSE_NOENT);
    int result = xmlParseChunk(parse.context, (const char *)bytes + 4, (int)(count - 4), 1);
    if (result == XML_ERR_DOCUMENT_END) result = XML_ERR_OK;
    xmlSetStructuredErrorFunc(&parse, NULL);
    if (result != XML_ERR_OK) {
        outcome.failed = 1;
        outcome.code = parse.sawError ? parse.lastError : result;
    }
    outcome.line = xmlSAX2GetLineNumber(parse.context);
    if (parse.context->myDoc != NULL) xmlFreeDoc(parse.context->myDoc);
    xmlFreeParserCtxt(parse.context);
    return outcome;
}

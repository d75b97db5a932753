/* The C peer of the matcher benchmark: GMime 3 (the MIME library behind notmuch) doing a MIME parser's share of the
 * matcher's work on the same files, in the same run as mailsh-match-bench.
 *
 * Usage: gmime-peer DIR [ROUNDS]. Reads every .eml file of DIR into memory first (not timed), then per round and message:
 *   - parses the message from memory (g_mime_parser_construct_message over a memory stream);
 *   - reads the headers the matcher reads: Subject (RFC 2047 decoded), From (parsed into addresses), Message-ID,
 *     In-Reply-To and References (parsed into IDs), Auto-Submitted, Precedence, X-Loop, Return-Path;
 *   - walks the MIME tree and, for each text/plain and text/html part that is not an attachment, decodes its
 *     content transfer encoding and converts its charset to UTF-8 (g_mime_text_part_get_text);
 *   - looks for "CMI" in the subject and the decoded text (memmem), so no decoded byte is left unread.
 * It does not turn HTML into text and does not match against records: mailsh's figure includes both, so the
 * ratio favours GMime. Prints messages per second (median round), by wall and CPU time.
 */
#define _GNU_SOURCE
#include <gmime/gmime.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct { unsigned char *data; size_t size; } Blob;

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static double now(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct { size_t text_bytes, parts, ids, addresses, references; } Work;

static void visit(GMimeObject *parent, GMimeObject *part, gpointer data) {
    (void)parent;
    Work *work = data;
    if (!GMIME_IS_TEXT_PART(part)) return;
    GMimeContentType *type = g_mime_object_get_content_type(part);
    if (!g_mime_content_type_is_type(type, "text", "plain") && !g_mime_content_type_is_type(type, "text", "html")) return;
    GMimeContentDisposition *disposition = g_mime_object_get_content_disposition(part);
    if (disposition && g_mime_content_disposition_is_attachment(disposition)) return;
    char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
    if (!text) return;
    size_t length = strlen(text);
    work->text_bytes += length;
    work->parts += 1;
    if (memmem(text, length, "CMI", 3)) work->ids += 1;
    g_free(text);
}

static void match(const Blob *blob, GMimeParserOptions *options, Work *work) {
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer((const char *)blob->data, blob->size);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *message = g_mime_parser_construct_message(parser, options);
    if (message) {
        GMimeObject *object = GMIME_OBJECT(message);
        const char *subject = g_mime_message_get_subject(message);
        if (subject && strstr(subject, "CMI")) work->ids += 1;
        InternetAddressList *from = g_mime_message_get_from(message);
        if (from) work->addresses += (size_t)internet_address_list_length(from);
        if (g_mime_message_get_message_id(message)) work->references += 1;
        const char *names[] = { "In-Reply-To", "References" };
        for (int i = 0; i < 2; i++) {
            const char *value = g_mime_object_get_header(object, names[i]);
            if (!value) continue;
            GMimeReferences *references = g_mime_references_parse(options, value);
            if (references) {
                work->references += (size_t)g_mime_references_length(references);
                g_mime_references_free(references);
            }
        }
        const char *skips[] = { "Auto-Submitted", "Precedence", "X-Loop", "Return-Path" };
        for (int i = 0; i < 4; i++) (void)g_mime_object_get_header(object, skips[i]);
        g_mime_message_foreach(message, visit, work);
        g_object_unref(message);
    }
    g_object_unref(parser);
    g_object_unref(stream);
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: gmime-peer DIR [ROUNDS]\n"); return 64; }
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    if (rounds < 1) rounds = 1;
    g_mime_init();
    GMimeParserOptions *options = g_mime_parser_options_get_default();

    DIR *dir = opendir(argv[1]);
    if (!dir) { perror(argv[1]); return 66; }
    size_t count = 0, capacity = 1024;
    char **names = malloc(capacity * sizeof *names);
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t length = strlen(entry->d_name);
        if (length < 5 || strcmp(entry->d_name + length - 4, ".eml") != 0) continue;
        if (count == capacity) names = realloc(names, (capacity *= 2) * sizeof *names);
        names[count++] = strdup(entry->d_name);
    }
    closedir(dir);
    qsort(names, count, sizeof *names, by_name);

    Blob *blobs = calloc(count, sizeof *blobs);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", argv[1], names[i]);
        FILE *file = fopen(path, "rb");
        if (!file) { perror(path); return 66; }
        fseek(file, 0, SEEK_END);
        long size = ftell(file);
        fseek(file, 0, SEEK_SET);
        blobs[i].data = malloc(size > 0 ? (size_t)size : 1);
        blobs[i].size = fread(blobs[i].data, 1, (size_t)size, file);
        fclose(file);
        total += blobs[i].size;
    }

    double *walls = calloc((size_t)rounds, sizeof *walls), *cpus = calloc((size_t)rounds, sizeof *cpus);
    Work work = { 0, 0, 0, 0, 0 };
    for (int round = 0; round < rounds; round++) {
        double wall = now(CLOCK_MONOTONIC), cpu = now(CLOCK_PROCESS_CPUTIME_ID);
        for (size_t i = 0; i < count; i++) match(&blobs[i], options, &work);
        walls[round] = now(CLOCK_MONOTONIC) - wall;
        cpus[round] = now(CLOCK_PROCESS_CPUTIME_ID) - cpu;
    }
    qsort(walls, (size_t)rounds, sizeof *walls, cmp_double);
    qsort(cpus, (size_t)rounds, sizeof *cpus, cmp_double);
    double wall = walls[rounds / 2], cpu = cpus[rounds / 2];
    printf("gmime %u.%u.%u (parse, headers, text parts decoded to UTF-8): %zu messages, %.1f MB in %.3f s (median of %d rounds): "
           "%.0f messages/s; CPU %.3f s: %.0f messages per CPU second; %zu text parts, %.1f MB of text per round\n",
           gmime_major_version, gmime_minor_version, gmime_micro_version, count, (double)total / 1e6, wall, rounds, (double)count / wall, cpu, (double)count / cpu,
           work.parts / (size_t)rounds, (double)work.text_bytes / (double)rounds / 1e6);
    g_mime_shutdown();
    return 0;
}

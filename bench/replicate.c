/*
 * Writes COUNT messages for bench/run by prefixing signed templates with
 * unique outer headers (Received, Message-ID). Those headers are outside the
 * signed part, so every copy has different bytes and a still-valid signature:
 * signing 100,000 messages with the openssl command line would take hours.
 *
 *   replicate OUTDIR COUNT LARGE_EVERY TAMPERED_EVERY small... -- large... -- tampered...
 *
 * Message i is tampered when i % TAMPERED_EVERY == 7, large when
 * i % LARGE_EVERY == 3 (and not tampered), else small; templates rotate.
 * Files go to OUTDIR/dNNN/mNNNNNNN.eml, 1,000 to a directory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct { char *data; size_t size; } blob;

static blob slurp(const char *path) {
    blob b = {0, 0};
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(2); }
    fseek(f, 0, SEEK_END);
    b.size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    b.data = malloc(b.size ? b.size : 1);
    if (fread(b.data, 1, b.size, f) != b.size) { perror(path); exit(2); }
    fclose(f);
    return b;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: replicate OUTDIR COUNT LARGE_EVERY TAMPERED_EVERY small... -- large... -- tampered...\n");
        return 2;
    }
    const char *out = argv[1];
    long count = atol(argv[2]), largeEvery = atol(argv[3]), tamperedEvery = atol(argv[4]);
    blob groups[3][64];
    int sizes[3] = {0, 0, 0}, g = 0;
    for (int i = 5; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) { if (++g > 2) break; continue; }
        if (sizes[g] < 64) groups[g][sizes[g]++] = slurp(argv[i]);
    }
    if (!sizes[0] || !sizes[1] || !sizes[2]) { fprintf(stderr, "replicate: every group needs a template\n"); return 2; }
    mkdir(out, 0755);
    char dir[4096], path[4200], header[512];
    /* Just after the templates were signed (their signingTime), so the messages verify at delivery too. */
    time_t base = time(NULL);
    for (long i = 0; i < count; i++) {
        int kind = (i % tamperedEvery == 7) ? 2 : (i % largeEvery == 3) ? 1 : 0;
        blob *t = &groups[kind][i % sizes[kind]];
        snprintf(dir, sizeof dir, "%s/d%03ld", out, i / 1000);
        if (i % 1000 == 0 && mkdir(dir, 0755) != 0 && errno != EEXIST) { perror(dir); return 2; }
        snprintf(path, sizeof path, "%s/m%07ld.eml", dir, i);
        time_t when = base + i % 60;
        struct tm tm;
        gmtime_r(&when, &tm);
        char date[64];
        strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
        int n = snprintf(header, sizeof header,
                         "Received: from relay%ld.bench.example by mx.bench.example; %s\r\n"
                         "Message-ID: <%ld.bench@bench.example>\r\n", i % 97, date, i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(header, 1, (size_t)n, f) != (size_t)n || fwrite(t->data, 1, t->size, f) != t->size) {
            perror(path);
            return 2;
        }
        fclose(f);
    }
    return 0;
}

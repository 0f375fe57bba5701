/*
 * args.c — command-line helpers shared by packrat-capture, packrat-record and the packrat command.
 */
#include "args.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *args_join(int argc, char **argv)
{
    size_t len = 1;
    for (int i = 0; i < argc; i++) len += strlen(argv[i]) + 1;
    char *s = calloc(1, len);
    if (!s) return NULL;
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        strcat(s, argv[i]);
    }
    return s;
}

int args_number(const char *prog, const char *opt, const char *s, unsigned long long min,
                unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || !*s || v < min || v > max) {
        fprintf(stderr, "%s: %s %s: expected a number from %llu to %llu\n", prog, opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

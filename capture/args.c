/*
 * args.c — command-line helpers shared by packrat-capture and the packrat command.
 */
#include "args.h"

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

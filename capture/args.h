/*
 * args.h — command-line helpers shared by packrat-capture, packrat-record and the packrat command.
 */
#ifndef PACKRAT_CAPTURE_ARGS_H
#define PACKRAT_CAPTURE_ARGS_H

/* Joins the trailing words into one filter expression, as tcpdump does ("" for none). The
 * result is malloc'd; NULL when out of memory. */
char *args_join(int argc, char **argv);

/* Parses s, an option's value, as a whole decimal number from min to max into *out. Otherwise
 * says "PROG: OPT S: expected a number from MIN to MAX" on stderr, so that every program words
 * a bad number alike, and returns -1; what follows (exit status) is the caller's. */
int args_number(const char *prog, const char *opt, const char *s, unsigned long long min,
                unsigned long long max, unsigned long long *out);

#endif

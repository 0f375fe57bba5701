/*
 * args.h — command-line helpers shared by packrat-capture and the packrat command.
 */
#ifndef PACKRAT_CAPTURE_ARGS_H
#define PACKRAT_CAPTURE_ARGS_H

/* Joins the trailing words into one filter expression, as tcpdump does ("" for none). The
 * result is malloc'd; NULL when out of memory. */
char *args_join(int argc, char **argv);

#endif

/*
 * iface.h — interface questions asked by capture and by the packrat command (which names the
 * session after the interface capture will pick): the default one, and whether it is there/up.
 */
#ifndef PACKRAT_CAPTURE_IFACE_H
#define PACKRAT_CAPTURE_IFACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The interface tcpdump would pick: first up, running, not loopback, never "any". */
int iface_default(char *out, size_t outlen, char *err, size_t errlen);

/* True when name is a loopback device (IFF_LOOPBACK). */
bool iface_is_loopback(const char *name);

/* Returns SHM_IF_UP / DOWN / GONE for name, and its current index in *ifindex. */
uint32_t iface_state(const char *name, unsigned *ifindex);

#endif

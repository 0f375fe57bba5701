/*
 * seqlist.c — see seqlist.h. A fixed-size circular array: pushing never allocates, so the cost
 * of caching a filter's matches is bounded by the ring's descriptor count chosen at attach.
 */
#include "viewer/seqlist.h"

#include <stdlib.h>

int seqlist_init(struct seqlist *l, uint64_t capacity)
{
    uint64_t cap = 1;
    while (cap < capacity) cap <<= 1;
    l->v = calloc(cap, sizeof *l->v);
    if (!l->v) return -1;
    l->mask = cap - 1;
    l->head = l->tail = 0;
    return 0;
}

void seqlist_free(struct seqlist *l)
{
    free(l->v);
    l->v = NULL;
    l->head = l->tail = 0;
}

void seqlist_clear(struct seqlist *l)
{
    l->head = l->tail = 0;
}

void seqlist_push(struct seqlist *l, uint64_t seq)
{
    if (l->head - l->tail > l->mask) l->tail++;
    l->v[l->head++ & l->mask] = seq;
}

void seqlist_drop_below(struct seqlist *l, uint64_t seq)
{
    /* Usually a few entries per tick; a binary search keeps a big jump cheap as well. */
    uint64_t i = seqlist_lower_bound(l, seq);
    l->tail += i;
}

uint64_t seqlist_lower_bound(const struct seqlist *l, uint64_t seq)
{
    uint64_t lo = 0, hi = seqlist_count(l);
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (seqlist_at(l, mid) < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

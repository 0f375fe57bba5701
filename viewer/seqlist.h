/*
 * seqlist.h — an ascending list of ring sequence numbers in a fixed circular buffer, and a view
 * that is either such a list or a plain range of sequences.
 *
 * The viewer caches which frames match its filter (and which strings match a search) here, so
 * that each record is evaluated at most once and scrolling is an index computation: the list
 * never needs more entries than the ring has descriptors, because entries older than the
 * ring's oldest record are dropped from the front as the writer moves on.
 */
#ifndef PACKRAT_VIEWER_SEQLIST_H
#define PACKRAT_VIEWER_SEQLIST_H

#include <stdbool.h>
#include <stdint.h>

struct seqlist {
    uint64_t *v;
    uint64_t mask;       /* capacity - 1, capacity a power of two */
    uint64_t head, tail; /* entries are v[tail..head) (free-running, masked on access) */
};

int seqlist_init(struct seqlist *l, uint64_t capacity); /* rounds up to a power of two */
void seqlist_free(struct seqlist *l);
void seqlist_clear(struct seqlist *l);
void seqlist_push(struct seqlist *l,
                  uint64_t seq); /* seq > every entry; drops the oldest if full */
void seqlist_drop_below(struct seqlist *l, uint64_t seq);

static inline uint64_t seqlist_count(const struct seqlist *l)
{
    return l->head - l->tail;
}

static inline uint64_t seqlist_at(const struct seqlist *l, uint64_t i)
{
    return l->v[(l->tail + i) & l->mask];
}

/* Index of the first entry >= seq (== count when none). */
uint64_t seqlist_lower_bound(const struct seqlist *l, uint64_t seq);

/* Either a list (l != NULL) or every sequence in [lo, hi). */
struct seqview {
    const struct seqlist *l;
    uint64_t lo, hi;
};

static inline uint64_t seqview_count(const struct seqview *w)
{
    return w->l ? seqlist_count(w->l) : (w->hi > w->lo ? w->hi - w->lo : 0);
}

static inline uint64_t seqview_at(const struct seqview *w, uint64_t i)
{
    return w->l ? seqlist_at(w->l, i) : w->lo + i;
}

/* Index of the first element >= seq. */
static inline uint64_t seqview_find(const struct seqview *w, uint64_t seq)
{
    if (w->l) return seqlist_lower_bound(w->l, seq);
    if (seq <= w->lo) return 0;
    uint64_t n = seqview_count(w);
    return seq - w->lo < n ? seq - w->lo : n;
}

#endif

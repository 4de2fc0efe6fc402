/* intset.c -- sorted packed integer array; see intset.h.
 *
 * Width upgrade: when v does not fit the current width, v is necessarily
 * smaller than every member (goes first) or larger (goes last), so the
 * widening pass copies elements from the end backwards into their wider
 * slots (no temporary buffer) and then stores v at one end.
 */
#include "intset.h"

#include <string.h>

#include "tier.h"
#include "util.h"

static uint32_t width_for(int64_t v)
{
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

static int64_t get_w(const unsigned char *data, uint32_t w, uint32_t pos)
{
    switch (w) {
    case 2: { int16_t x; memcpy(&x, data + (size_t)pos * 2, 2); return x; }
    case 4: { int32_t x; memcpy(&x, data + (size_t)pos * 4, 4); return x; }
    default: { int64_t x; memcpy(&x, data + (size_t)pos * 8, 8); return x; }
    }
}

static void set_w(unsigned char *data, uint32_t w, uint32_t pos, int64_t v)
{
    switch (w) {
    case 2: { int16_t x = (int16_t)v; memcpy(data + (size_t)pos * 2, &x, 2); break; }
    case 4: { int32_t x = (int32_t)v; memcpy(data + (size_t)pos * 4, &x, 4); break; }
    default: memcpy(data + (size_t)pos * 8, &v, 8); break;
    }
}

int64_t intset_get(const intset *s, uint32_t pos) { return get_w(s->data, s->width, pos); }

size_t intset_bytes(const intset *s) { return sizeof(intset) + (size_t)s->len * s->width; }

intset *intset_new(void)
{
    intset *s = tier_malloc(sizeof(intset));
    s->width = 2;
    s->len = 0;
    return s;
}

void intset_free(intset *s) { tier_free(s); }

intset *intset_dup(const intset *s)
{
    intset *n = tier_malloc(intset_bytes(s));
    memcpy(n, s, intset_bytes(s));
    return n;
}

/* Position of v, or -(insertion point) - 1 if absent. */
static int64_t search(const intset *s, int64_t v)
{
    int64_t lo = 0, hi = (int64_t)s->len - 1;
    if (s->len == 0) return -1;
    /* fast paths for appends at either end, common when loading sorted data */
    if (v > intset_get(s, s->len - 1)) return -(int64_t)s->len - 1;
    if (v < intset_get(s, 0)) return -1;
    while (lo <= hi) {
        int64_t mid = lo + (hi - lo) / 2;
        int64_t x = get_w(s->data, s->width, (uint32_t)mid);
        if (x == v) return mid;
        if (x < v) lo = mid + 1;
        else hi = mid - 1;
    }
    return -lo - 1;
}

int intset_find(const intset *s, int64_t v)
{
    if (width_for(v) > s->width) return 0;
    return search(s, v) >= 0;
}

static intset *resize(intset *s, uint32_t len, uint32_t width)
{
    return tier_realloc(s, sizeof(intset) + (size_t)len * width);
}

intset *intset_add(intset *s, int64_t v, int *added)
{
    uint32_t w = width_for(v);
    *added = 0;
    if (w > s->width) {
        uint32_t old = s->width, n = s->len;
        int prepend = v < 0;
        s = resize(s, n + 1, w);
        for (uint32_t i = n; i-- > 0;) set_w(s->data, w, i + (uint32_t)prepend, get_w(s->data, old, i));
        s->width = w;
        set_w(s->data, w, prepend ? 0 : n, v);
        s->len = n + 1;
        *added = 1;
        return s;
    }
    int64_t pos = search(s, v);
    if (pos >= 0) return s;
    uint32_t at = (uint32_t)(-pos - 1);
    s = resize(s, s->len + 1, s->width);
    memmove(s->data + (size_t)(at + 1) * s->width, s->data + (size_t)at * s->width,
            (size_t)(s->len - at) * s->width);
    set_w(s->data, s->width, at, v);
    s->len++;
    *added = 1;
    return s;
}

intset *intset_remove(intset *s, int64_t v, int *removed)
{
    *removed = 0;
    if (width_for(v) > s->width) return s;
    int64_t pos = search(s, v);
    if (pos < 0) return s;
    uint32_t at = (uint32_t)pos;
    memmove(s->data + (size_t)at * s->width, s->data + (size_t)(at + 1) * s->width,
            (size_t)(s->len - at - 1) * s->width);
    s->len--;
    *removed = 1;
    return resize(s, s->len, s->width);
}

int64_t intset_random(const intset *s) { return intset_get(s, (uint32_t)(util_rand64() % s->len)); }

int intset_valid(const intset *s)
{
    if (s->width != 2 && s->width != 4 && s->width != 8) return 0;
    for (uint32_t i = 0; i < s->len; i++) {
        int64_t x = intset_get(s, i);
        if (width_for(x) > s->width) return 0;
        if (i && intset_get(s, i - 1) >= x) return 0;
    }
    return 1;
}

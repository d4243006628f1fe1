/* A per-thread caching allocator for libcurl (curl_global_init_mem).
 *
 * libcurl allocates and frees a few dozen small blocks per transfer (a connection struct it
 * then discards for the cached one, URL parts, header lines); in callgrind that malloc/free
 * traffic is about an eighth of a keep-alive request's instructions. Blocks here come in
 * power-of-two size classes (16 B to 4 KiB), each thread keeps a free list per class, and a
 * freed block goes back to the freeing thread's list: allocation and release are a list pop
 * and push. Larger blocks go to the system allocator. A small header before each block holds
 * its class, so free and realloc need no lookup.
 *
 * Only libcurl's own allocations go through it (it never hands them to another library to
 * free), and only in release builds: sanitizer builds keep the system allocator so ASan and
 * TSan see every allocation. Cached blocks are never returned to the system; each list is
 * capped (ALLOC_CACHE_MAX blocks) so a burst cannot pin memory for ever. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "agent/alloc.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_DISABLED 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#undef ALLOC_DISABLED
#define ALLOC_DISABLED 1
#endif
#endif

#ifndef ALLOC_DISABLED

#define ALLOC_MIN_SHIFT 4
#define ALLOC_CLASSES	9 /* 16, 32, ..., 4096 */
#define ALLOC_BIG	0xffu
#define ALLOC_HDR	16
#define ALLOC_CACHE_MAX 4096

struct blk {
	struct blk *next;
};

struct cache {
	struct blk *head[ALLOC_CLASSES];
	uint32_t n[ALLOC_CLASSES];
};

static __thread struct cache tc;

static unsigned class_of(size_t n)
{
	unsigned c = 0;
	size_t s = (size_t)1 << ALLOC_MIN_SHIFT;

	while (s < n) {
		s <<= 1;
		c++;
	}
	return c;
}

static size_t class_size(unsigned c)
{
	return (size_t)1 << (c + ALLOC_MIN_SHIFT);
}

static void *a_malloc(size_t n)
{
	unsigned c;
	unsigned char *p;

	if (n == 0)
		n = 1;
	if (n > class_size(ALLOC_CLASSES - 1)) {
		p = malloc(n + ALLOC_HDR);
		if (!p)
			return NULL;
		*(size_t *)p = n;
		p[ALLOC_HDR - 1] = ALLOC_BIG;
		return p + ALLOC_HDR;
	}
	c = class_of(n);
	if (tc.head[c]) {
		struct blk *b = tc.head[c];

		tc.head[c] = b->next;
		tc.n[c]--;
		return b;
	}
	p = malloc(class_size(c) + ALLOC_HDR);
	if (!p)
		return NULL;
	p[ALLOC_HDR - 1] = (unsigned char)c;
	return p + ALLOC_HDR;
}

static void a_free(void *ptr)
{
	unsigned char *p = ptr;
	unsigned c;

	if (!p)
		return;
	c = p[-1];
	if (c == ALLOC_BIG || tc.n[c] >= ALLOC_CACHE_MAX) {
		free(p - ALLOC_HDR);
		return;
	}
	((struct blk *)p)->next = tc.head[c];
	tc.head[c] = (struct blk *)p;
	tc.n[c]++;
}

static size_t a_size(const void *ptr)
{
	const unsigned char *p = ptr;

	return p[-1] == ALLOC_BIG ? *(const size_t *)(p - ALLOC_HDR) : class_size(p[-1]);
}

static void *a_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = a_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

static void *a_realloc(void *ptr, size_t n)
{
	void *q;
	size_t have;

	if (!ptr)
		return a_malloc(n);
	if (n == 0) {
		a_free(ptr);
		return NULL;
	}
	have = a_size(ptr);
	if (n <= have && ((unsigned char *)ptr)[-1] != ALLOC_BIG)
		return ptr;
	q = a_malloc(n);
	if (!q)
		return NULL;
	memcpy(q, ptr, have < n ? have : n);
	a_free(ptr);
	return q;
}

static char *a_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = a_malloc(n);

	if (p)
		memcpy(p, s, n);
	return p;
}

int alloc_curl_global_init(void)
{
	return curl_global_init_mem(CURL_GLOBAL_DEFAULT, a_malloc, a_free, a_realloc, a_strdup,
				    a_calloc) == CURLE_OK
		   ? 0
		   : -1;
}

#else

int alloc_curl_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

#endif

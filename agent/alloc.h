/* libcurl's global init, with a per-thread caching allocator in release builds (alloc.c). */
#ifndef BARRAGE_AGENT_ALLOC_H
#define BARRAGE_AGENT_ALLOC_H

int alloc_curl_global_init(void);

#endif

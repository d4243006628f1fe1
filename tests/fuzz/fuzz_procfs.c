/* Fuzz target for monitor samples: the text a monitored host sends is untrusted. The input is
 * split into blocks as the controller splits a stream (common/procfs.h); each parsed sample is
 * turned into figures against the previous one, so the arithmetic sees hostile numbers too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct procfs_sample a, b;
	struct procfs_sample *prev = NULL, *cur = &a;
	struct procfs_watch w;
	struct procfs_figures f;
	const char *p = (const char *)data;
	size_t left = size, n;
	bool ok;

	memset(&w, 0, sizeof(w));
	memcpy(w.names[0], "srv", 4);
	memcpy(w.names[1], "a b) c", 7);
	w.n = 2;
	while (left > 0 && (n = procfs_parse_block(p, left, &w, cur, &ok)) > 0) {
		if (n > left)
			abort();
		if (ok) {
			procfs_figures(prev, cur, &w, &f);
			prev = cur;
			cur = cur == &a ? &b : &a;
		}
		p += n;
		left -= n;
	}
	/* Each parser on the raw bytes as well. */
	memset(&a, 0, sizeof(a));
	procfs_parse_stat((const char *)data, size, &a);
	procfs_parse_meminfo((const char *)data, size, &a);
	procfs_parse_loadavg((const char *)data, size, &a);
	procfs_parse_diskstats((const char *)data, size, &a);
	procfs_parse_netdev((const char *)data, size, &a);
	procfs_parse_vmstat((const char *)data, size, &a);
	procfs_parse_snmp((const char *)data, size, &a);
	procfs_parse_numastat((const char *)data, size, &a);
	procfs_parse_procs((const char *)data, size, &w, &a);
	procfs_parse_uptime((const char *)data, size, &a);
	return 0;
}

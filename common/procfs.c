/* Parsers of Linux /proc text and the figures between two samples (see procfs.h).
 *
 * The text is not NUL-terminated and not trusted: every scan takes an explicit end, numbers go
 * through one range-checked reader (no strtoull on a slice that might run past its file), and a
 * line that does not have the expected shape is skipped. */
#include "common/procfs.h"

#include <string.h>

const char *const procfs_file_names[PROCFS_NFILES] = {
    "uptime",  "stat",	 "meminfo",  "loadavg",	 "diskstats",
    "net/dev", "vmstat", "net/snmp", "numastat", "procs",
};

const char *const procfs_fig_names[PROCFS_NFIGS] = {
    "cpu_pct",		"cpu_user_pct",	   "cpu_system_pct", "cpu_iowait_pct", "cpu_steal_pct",
    "cpu_core_max_pct", "load1",	   "mem_used",	     "mem_available",  "swap_used",
    "swap_pages_ps",	"major_faults_ps", "disk_read_bps",  "disk_write_bps", "disk_util_pct",
    "net_rx_bps",	"net_tx_bps",	   "net_rx_pps",     "net_tx_pps",     "tcp_retrans_ps",
    "numa_miss_ps",
};

const char *const procfs_fig_units[PROCFS_NFIGS] = {
    "%",  "%",	 "%",	"%", "%",   "%",   "",	 "B",  "B",  "B",  "/s",
    "/s", "B/s", "B/s", "%", "B/s", "B/s", "/s", "/s", "/s", "/s",
};

/* ---- scanning ---- */

/* One line of [*p, end): sets [*ls, *le) and moves *p past the newline. False at the end. */
static bool next_line(const char **p, const char *end, const char **ls, const char **le)
{
	const char *nl;

	if (*p >= end)
		return false;
	*ls = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*le = nl ? nl : end;
	*p = nl ? nl + 1 : end;
	return true;
}

static void skip_space(const char **p, const char *end)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
}

/* An unsigned decimal; false (and *p unmoved past the digits it saw) when there is none or it
 * overflows 64 bits. */
static bool next_u64(const char **p, const char *end, uint64_t *v)
{
	uint64_t x = 0;
	const char *s;

	skip_space(p, end);
	s = *p;
	while (*p < end && **p >= '0' && **p <= '9') {
		unsigned d = (unsigned)(**p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
		(*p)++;
	}
	if (*p == s)
		return false;
	*v = x;
	return true;
}

/* A non-negative decimal with an optional fraction ("1234.56"); at most 9 fraction digits. */
static bool next_decimal(const char **p, const char *end, double *v)
{
	uint64_t ip = 0;
	double frac = 0, scale = 1;
	int nd = 0;

	if (!next_u64(p, end, &ip) || ip > ((uint64_t)1 << 53))
		return false;
	if (*p < end && **p == '.') {
		(*p)++;
		while (*p < end && **p >= '0' && **p <= '9') {
			if (nd < 9) {
				scale /= 10;
				frac += (**p - '0') * scale;
				nd++;
			}
			(*p)++;
		}
	}
	*v = (double)ip + frac;
	return true;
}

/* A word (no spaces) into out (cut to size - 1 bytes); false when there is none. */
static bool next_word(const char **p, const char *end, char *out, size_t size)
{
	size_t n = 0;

	skip_space(p, end);
	if (*p >= end || **p == '\n')
		return false;
	while (*p < end && **p != ' ' && **p != '\t' && **p != '\n') {
		if (n + 1 < size)
			out[n++] = **p;
		(*p)++;
	}
	out[n] = '\0';
	return true;
}

static bool starts(const char *ls, const char *le, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(le - ls) >= n && memcmp(ls, word, n) == 0;
}

/* ---- per file ---- */

int procfs_parse_uptime(const char *text, size_t len, struct procfs_sample *s)
{
	const char *p = text;

	if (!next_decimal(&p, text + len, &s->uptime_s))
		return -1;
	s->have |= 1u << PROCFS_UPTIME;
	return 0;
}

static bool cpu_fields(const char **p, const char *end, struct procfs_cpu *c)
{
	uint64_t *f[8] = {&c->user,   &c->nice, &c->system,  &c->idle,
			  &c->iowait, &c->irq,	&c->softirq, &c->steal};
	int i;

	memset(c, 0, sizeof(*c));
	/* Kernels before 2.6.11 have no steal, before 2.6 no iowait/irq/softirq: the first four
	 * are required, the rest are zero when absent. */
	for (i = 0; i < 8; i++)
		if (!next_u64(p, end, f[i]))
			return i >= 4;
	return true;
}

int procfs_parse_stat(const char *text, size_t len, struct procfs_sample *s)
{
	const char *p = text, *end = text + len, *ls, *le;
	bool total = false;

	s->ncores = 0;
	while (next_line(&p, end, &ls, &le)) {
		const char *q;

		if (!starts(ls, le, "cpu"))
			continue;
		q = ls + 3;
		if (q < le && *q == ' ') {
			total = cpu_fields(&q, le, &s->cpu);
		} else if (q < le && *q >= '0' && *q <= '9') {
			uint64_t idx;

			if (!next_u64(&q, le, &idx) || s->ncores >= PROCFS_MAX_CORES)
				continue;
			if (cpu_fields(&q, le, &s->cores[s->ncores]))
				s->ncores++;
		}
	}
	if (!total) {
		memset(&s->cpu, 0, sizeof(s->cpu));
		s->ncores = 0;
		return -1;
	}
	s->have |= 1u << PROCFS_STAT;
	return 0;
}

int procfs_parse_meminfo(const char *text, size_t len, struct procfs_sample *s)
{
	static const char *const keys[] = {"MemTotal:", "MemAvailable:", "SwapTotal:", "SwapFree:",
					   "MemFree:",	"Buffers:",	 "Cached:"};
	uint64_t v[7] = {0};
	bool seen[7] = {false};
	const char *p = text, *end = text + len, *ls, *le;
	size_t i;

	while (next_line(&p, end, &ls, &le))
		for (i = 0; i < 7; i++)
			if (starts(ls, le, keys[i])) {
				const char *q = ls + strlen(keys[i]);
				uint64_t kb;

				/* kB values; a machine cannot have 2^54 kB. */
				if (next_u64(&q, le, &kb) && kb < ((uint64_t)1 << 44)) {
					v[i] = kb * 1024;
					seen[i] = true;
				}
				break;
			}
	if (!seen[0])
		return -1;
	s->mem_total = v[0];
	/* Kernels before 3.14 have no MemAvailable: free + buffers + cache is the old estimate. */
	s->mem_available = seen[1] ? v[1] : v[4] + v[5] + v[6];
	if (s->mem_available > s->mem_total)
		s->mem_available = s->mem_total;
	s->swap_total = v[2];
	s->swap_free = v[3] > v[2] ? v[2] : v[3];
	s->have |= 1u << PROCFS_MEMINFO;
	return 0;
}

int procfs_parse_loadavg(const char *text, size_t len, struct procfs_sample *s)
{
	const char *p = text, *end = text + len;

	if (!next_decimal(&p, end, &s->load1) || !next_decimal(&p, end, &s->load5) ||
	    !next_decimal(&p, end, &s->load15)) {
		s->load1 = s->load5 = s->load15 = 0;
		return -1;
	}
	s->have |= 1u << PROCFS_LOADAVG;
	return 0;
}

/* Virtual devices and partitions would count the same bytes twice (or count none that reach a
 * disk): loop, ram, zram, device-mapper and md devices are left out, and so is any device whose
 * name extends another listed device's name (sda1 of sda, nvme0n1p1 of nvme0n1). */
static bool virtual_disk(const char *name)
{
	static const char *const skip[] = {"loop", "ram", "zram", "dm-", "md", "sr", "fd", NULL};

	for (size_t i = 0; skip[i]; i++)
		if (strncmp(name, skip[i], strlen(skip[i])) == 0)
			return true;
	return false;
}

int procfs_parse_diskstats(const char *text, size_t len, struct procfs_sample *s)
{
	const char *p = text, *end = text + len, *ls, *le;
	size_t i, j, k;

	s->ndisks = 0;
	while (next_line(&p, end, &ls, &le)) {
		/* major minor name reads merged sectors ms writes merged sectors ms inflight io_ms
		 */
		uint64_t f[10];
		struct procfs_disk d;
		const char *q = ls;

		memset(&d, 0, sizeof(d));
		if (!next_u64(&q, le, &f[0]) || !next_u64(&q, le, &f[1]) ||
		    !next_word(&q, le, d.name, sizeof(d.name)))
			continue;
		for (i = 0; i < 10; i++)
			if (!next_u64(&q, le, &f[i]))
				break;
		if (i < 10 || virtual_disk(d.name))
			continue;
		d.rd_sectors = f[2];
		d.wr_sectors = f[6];
		d.io_ms = f[9];
		if (s->ndisks < PROCFS_MAX_DISKS)
			s->disks[s->ndisks++] = d;
	}
	/* Drop partitions: names that extend another device's name. */
	for (i = 0, k = 0; i < s->ndisks; i++) {
		bool part = false;

		for (j = 0; j < s->ndisks && !part; j++) {
			size_t n = strlen(s->disks[j].name);

			part = j != i && strlen(s->disks[i].name) > n &&
			       strncmp(s->disks[i].name, s->disks[j].name, n) == 0;
		}
		if (!part)
			s->disks[k++] = s->disks[i];
	}
	s->ndisks = k;
	s->have |= 1u << PROCFS_DISKSTATS;
	return 0;
}

int procfs_parse_netdev(const char *text, size_t len, struct procfs_sample *s)
{
	const char *p = text, *end = text + len, *ls, *le;
	bool any = false;

	s->net_rx_bytes = s->net_tx_bytes = s->net_rx_packets = s->net_tx_packets = 0;
	while (next_line(&p, end, &ls, &le)) {
		/* "  eth0: rxbytes rxpackets errs drop fifo frame compressed multicast txbytes
		 * txpackets ..." — the two header lines have no colon before a number. */
		const char *colon = memchr(ls, ':', (size_t)(le - ls));
		uint64_t f[10];
		size_t i;

		if (!colon)
			continue;
		{
			const char *q = colon + 1;

			for (i = 0; i < 10; i++)
				if (!next_u64(&q, le, &f[i]))
					break;
		}
		if (i < 10)
			continue;
		s->net_rx_bytes += f[0];
		s->net_rx_packets += f[1];
		s->net_tx_bytes += f[8];
		s->net_tx_packets += f[9];
		any = true;
	}
	if (!any)
		return -1;
	s->have |= 1u << PROCFS_NETDEV;
	return 0;
}

/* "name value" lines (vmstat, numastat): adds each wanted name's value into out. */
static bool name_values(const char *text, size_t len, const char *const *names, uint64_t *out,
			size_t n)
{
	const char *p = text, *end = text + len, *ls, *le;
	bool any = false;

	while (next_line(&p, end, &ls, &le)) {
		char w[64];
		const char *q = ls;
		uint64_t v;

		if (!next_word(&q, le, w, sizeof(w)) || !next_u64(&q, le, &v))
			continue;
		for (size_t i = 0; i < n; i++)
			if (strcmp(w, names[i]) == 0) {
				out[i] += v;
				any = true;
			}
	}
	return any;
}

int procfs_parse_vmstat(const char *text, size_t len, struct procfs_sample *s)
{
	static const char *const names[] = {"pgmajfault", "pswpin", "pswpout", "numa_miss"};
	uint64_t v[4] = {0};

	if (!name_values(text, len, names, v, 4))
		return -1;
	s->major_faults = v[0];
	s->swap_in = v[1];
	s->swap_out = v[2];
	/* numastat (per node) is preferred; vmstat's system-wide count stands in without it. */
	if (!(s->have & (1u << PROCFS_NUMASTAT)))
		s->numa_miss = v[3];
	s->have |= 1u << PROCFS_VMSTAT;
	return 0;
}

int procfs_parse_numastat(const char *text, size_t len, struct procfs_sample *s)
{
	static const char *const names[] = {"numa_miss"};
	uint64_t v = 0;

	if (!name_values(text, len, names, &v, 1))
		return -1;
	s->numa_miss = v;
	s->have |= 1u << PROCFS_NUMASTAT;
	return 0;
}

int procfs_parse_snmp(const char *text, size_t len, struct procfs_sample *s)
{
	const char *p = text, *end = text + len, *ls, *le, *hs = NULL, *he = NULL;

	/* "Tcp: RtoAlgorithm ... RetransSegs ..." then "Tcp: 1 200 ... 42 ...": find the columns
	 * by name in the first line and read the same columns of the second. */
	while (next_line(&p, end, &ls, &le)) {
		char w[64];
		const char *hq, *vq;
		int col_retrans = -1, col_out = -1, c;
		uint64_t v;
		bool ok_r = false, ok_o = false;

		if (!starts(ls, le, "Tcp:"))
			continue;
		if (!hs) {
			hs = ls;
			he = le;
			continue;
		}
		hq = hs + 4;
		for (c = 0; next_word(&hq, he, w, sizeof(w)); c++) {
			if (strcmp(w, "RetransSegs") == 0)
				col_retrans = c;
			if (strcmp(w, "OutSegs") == 0)
				col_out = c;
		}
		vq = ls + 4;
		for (c = 0; vq < le; c++) {
			char num[32];
			const char *nq = num;

			if (!next_word(&vq, le, num, sizeof(num)))
				break;
			/* MaxConn is -1: a signed column; only the two counters matter. */
			if (c != col_retrans && c != col_out)
				continue;
			if (!next_u64(&nq, num + strlen(num), &v))
				continue;
			if (c == col_retrans) {
				s->tcp_retrans = v;
				ok_r = true;
			} else {
				s->tcp_out_segs = v;
				ok_o = true;
			}
		}
		(void)ok_o;
		if (!ok_r)
			return -1;
		s->have |= 1u << PROCFS_SNMP;
		return 0;
	}
	return -1;
}

int procfs_parse_procs(const char *text, size_t len, const struct procfs_watch *w,
		       struct procfs_sample *s)
{
	const char *p = text, *end = text + len, *ls, *le;

	s->nprocs = 0;
	if (!w || w->n == 0) {
		s->have |= 1u << PROCFS_PROCS;
		return 0;
	}
	while (next_line(&p, end, &ls, &le)) {
		/* "pid (comm) state ppid ... utime(14) stime(15) ... rss(24)". comm may hold
		 * spaces and parentheses: it ends at the line's last ')'. */
		const char *open = memchr(ls, '(', (size_t)(le - ls)), *close = NULL, *q;
		char comm[PROCFS_NAME_MAX];
		uint64_t pid, f[22];
		size_t i, n, name;

		for (q = le; q > ls; q--)
			if (q[-1] == ')') {
				close = q - 1;
				break;
			}
		if (!open || !close || close < open)
			continue;
		q = ls;
		if (!next_u64(&q, open, &pid) || pid == 0 || pid > 0x7fffffff)
			continue;
		n = (size_t)(close - open - 1);
		if (n >= PROCFS_NAME_MAX)
			n = PROCFS_NAME_MAX - 1;
		memcpy(comm, open + 1, n);
		comm[n] = '\0';
		for (name = 0; name < w->n; name++)
			if (strcmp(comm, w->names[name]) == 0)
				break;
		if (name == w->n)
			continue;
		q = close + 1;
		{
			char state[8];

			if (!next_word(&q, le, state, sizeof(state)))
				continue;
		}
		/* Fields 4..24 after the state: ppid .. rss. Some are signed (tpgid, priority,
		 * nice), so each is read as a word and only utime, stime and rss as numbers. */
		for (i = 4; i <= 24; i++) {
			char word[32];
			const char *wq = word;

			if (!next_word(&q, le, word, sizeof(word)))
				break;
			f[i - 4] = 0;
			if ((i == 14 || i == 15 || i == 24) &&
			    !next_u64(&wq, word + strlen(word), &f[i - 4]))
				break;
		}
		if (i <= 24 || s->nprocs >= PROCFS_MAX_PROCS)
			continue;
		s->procs[s->nprocs].pid = (int)pid;
		s->procs[s->nprocs].name = (uint8_t)name;
		s->procs[s->nprocs].ticks = f[14 - 4] + f[15 - 4];
		s->procs[s->nprocs].rss_pages = f[24 - 4];
		s->nprocs++;
	}
	s->have |= 1u << PROCFS_PROCS;
	return 0;
}

/* ---- blocks ---- */

static int parse_file(enum procfs_file f, const char *t, size_t n, const struct procfs_watch *w,
		      struct procfs_sample *s)
{
	switch (f) {
	case PROCFS_UPTIME:
		return procfs_parse_uptime(t, n, s);
	case PROCFS_STAT:
		return procfs_parse_stat(t, n, s);
	case PROCFS_MEMINFO:
		return procfs_parse_meminfo(t, n, s);
	case PROCFS_LOADAVG:
		return procfs_parse_loadavg(t, n, s);
	case PROCFS_DISKSTATS:
		return procfs_parse_diskstats(t, n, s);
	case PROCFS_NETDEV:
		return procfs_parse_netdev(t, n, s);
	case PROCFS_VMSTAT:
		return procfs_parse_vmstat(t, n, s);
	case PROCFS_SNMP:
		return procfs_parse_snmp(t, n, s);
	case PROCFS_NUMASTAT:
		return procfs_parse_numastat(t, n, s);
	case PROCFS_PROCS:
		return procfs_parse_procs(t, n, w, s);
	case PROCFS_NFILES:
		break;
	}
	return -1;
}

static int file_index(const char *ls, const char *le)
{
	size_t n = (size_t)(le - ls);

	for (int i = 0; i < PROCFS_NFILES; i++)
		if (strlen(procfs_file_names[i]) == n && memcmp(procfs_file_names[i], ls, n) == 0)
			return i;
	return -1;
}

#define MK_HDR	"@@barrage-monitor 1 "
#define MK_FILE "@@file "
#define MK_MISS "@@missing "
#define MK_END	"@@end"

size_t procfs_parse_block(const char *text, size_t len, const struct procfs_watch *w,
			  struct procfs_sample *s, bool *ok)
{
	const char *p = text, *end = text + len, *ls, *le, *start = NULL, *body = NULL;
	int cur = -1;
	uint64_t tck = 0, psz = 0;

	*ok = false;
	while (next_line(&p, end, &ls, &le)) {
		if (p == end && (le == end)) /* an unterminated last line: wait for the rest */
			return 0;
		if (!start) {
			const char *q;

			if (!starts(ls, le, MK_HDR))
				continue;
			q = ls + strlen(MK_HDR);
			start = ls;
			memset(s, 0, sizeof(*s));
			if (next_u64(&q, le, &tck) && next_u64(&q, le, &psz) && tck > 0 &&
			    tck <= 100000 && psz >= 512 && psz <= ((uint64_t)1 << 30)) {
				s->clk_tck = (long)tck;
				s->pagesize = (long)psz;
			}
			continue;
		}
		if (starts(ls, le, MK_FILE) || starts(ls, le, MK_MISS) ||
		    (starts(ls, le, MK_END) && le - ls == (long)strlen(MK_END)) ||
		    starts(ls, le, MK_HDR)) {
			if (cur >= 0 && body)
				parse_file((enum procfs_file)cur, body, (size_t)(ls - body), w, s);
			cur = -1;
			body = NULL;
			if (starts(ls, le, MK_FILE)) {
				cur = file_index(ls + strlen(MK_FILE), le);
				body = p;
			} else if (starts(ls, le, MK_MISS)) {
				int f = file_index(ls + strlen(MK_MISS), le);

				if (f >= 0)
					s->missing |= 1u << f;
			} else if (starts(ls, le, MK_HDR)) {
				/* A new header inside a block: the old one was cut; start again. */
				return (size_t)(ls - text);
			} else {
				*ok = s->clk_tck > 0;
				return (size_t)(p - text);
			}
		}
	}
	return 0;
}

/* ---- figures ---- */

static uint64_t cpu_all(const struct procfs_cpu *c)
{
	return c->user + c->nice + c->system + c->idle + c->iowait + c->irq + c->softirq + c->steal;
}

/* Busy share of a core between two readings, or -1 when the counters went backwards. */
static double cpu_busy_pct(const struct procfs_cpu *a, const struct procfs_cpu *b)
{
	uint64_t ta = cpu_all(a), tb = cpu_all(b);
	uint64_t ia = a->idle + a->iowait + a->steal, ib = b->idle + b->iowait + b->steal;

	if (tb <= ta || ib < ia || ib - ia > tb - ta)
		return -1;
	return 100.0 * (double)((tb - ta) - (ib - ia)) / (double)(tb - ta);
}

static bool delta(uint64_t a, uint64_t b, double *d)
{
	if (b < a)
		return false;
	*d = (double)(b - a);
	return true;
}

static void set(struct procfs_figures *o, enum procfs_fig f, double v)
{
	o->v[f] = v;
	o->have |= 1u << f;
}

/* CPU busy shares between two /proc/stat readings: the whole machine and its busiest core. */
static void cpu_figures(const struct procfs_sample *a, const struct procfs_sample *b,
			struct procfs_figures *o)
{
	uint64_t ta = cpu_all(&a->cpu), tb = cpu_all(&b->cpu);
	double d;
	size_t i;

	if (tb > ta && cpu_busy_pct(&a->cpu, &b->cpu) >= 0) {
		double t = (double)(tb - ta);
		const struct procfs_cpu *x = &a->cpu, *y = &b->cpu;

		set(o, PROCFS_CPU_PCT, cpu_busy_pct(x, y));
		if (delta(x->user + x->nice, y->user + y->nice, &d))
			set(o, PROCFS_CPU_USER_PCT, 100 * d / t);
		if (delta(x->system + x->irq + x->softirq, y->system + y->irq + y->softirq, &d))
			set(o, PROCFS_CPU_SYSTEM_PCT, 100 * d / t);
		if (delta(x->iowait, y->iowait, &d))
			set(o, PROCFS_CPU_IOWAIT_PCT, 100 * d / t);
		if (delta(x->steal, y->steal, &d))
			set(o, PROCFS_CPU_STEAL_PCT, 100 * d / t);
	}
	if (a->ncores == b->ncores && b->ncores > 0) {
		double mx = -1;

		for (i = 0; i < b->ncores; i++) {
			double c = cpu_busy_pct(&a->cores[i], &b->cores[i]);

			if (c > mx)
				mx = c;
		}
		if (mx >= 0)
			set(o, PROCFS_CPU_CORE_MAX_PCT, mx);
	}
}

/* Disk throughput summed over the disks in both samples, and the busiest disk's utilisation;
 * nothing when a counter went backwards. */
static void disk_figures(const struct procfs_sample *a, const struct procfs_sample *b, double dt,
			 struct procfs_figures *o)
{
	double rd = 0, wr = 0, util = 0, d, d2;
	bool ok = true;
	size_t i, j;

	for (i = 0; i < b->ndisks; i++)
		for (j = 0; j < a->ndisks; j++) {
			if (strcmp(a->disks[j].name, b->disks[i].name) != 0)
				continue;
			if (!delta(a->disks[j].rd_sectors, b->disks[i].rd_sectors, &d) ||
			    !delta(a->disks[j].wr_sectors, b->disks[i].wr_sectors, &d2)) {
				ok = false;
				break;
			}
			rd += d * 512;
			wr += d2 * 512;
			if (delta(a->disks[j].io_ms, b->disks[i].io_ms, &d)) {
				double u = 100 * d / (dt * 1000);

				if (u > 100)
					u = 100;
				if (u > util)
					util = u;
			}
			break;
		}
	if (ok) {
		set(o, PROCFS_DISK_READ_BPS, rd / dt);
		set(o, PROCFS_DISK_WRITE_BPS, wr / dt);
		set(o, PROCFS_DISK_UTIL_PCT, util);
	}
}

void procfs_figures(const struct procfs_sample *a, const struct procfs_sample *b,
		    const struct procfs_watch *w, struct procfs_figures *o)
{
	const unsigned both = a ? a->have & b->have : 0;
	double dt = 0, d;
	size_t i, j;

	memset(o, 0, sizeof(*o));
	if (a && (both & (1u << PROCFS_UPTIME)) && b->uptime_s > a->uptime_s)
		dt = b->uptime_s - a->uptime_s;
	if (b->have & (1u << PROCFS_LOADAVG))
		set(o, PROCFS_LOAD1, b->load1);
	if (b->have & (1u << PROCFS_MEMINFO)) {
		set(o, PROCFS_MEM_USED, (double)(b->mem_total - b->mem_available));
		set(o, PROCFS_MEM_AVAILABLE, (double)b->mem_available);
		set(o, PROCFS_SWAP_USED, (double)(b->swap_total - b->swap_free));
	}
	if (!a)
		return;
	if (both & (1u << PROCFS_STAT))
		cpu_figures(a, b, o);
	if (dt <= 0)
		return;
	if ((both & (1u << PROCFS_VMSTAT))) {
		if (delta(a->swap_in + a->swap_out, b->swap_in + b->swap_out, &d))
			set(o, PROCFS_SWAP_PAGES_PS, d / dt);
		if (delta(a->major_faults, b->major_faults, &d))
			set(o, PROCFS_MAJOR_FAULTS_PS, d / dt);
	}
	if (both & (1u << PROCFS_DISKSTATS))
		disk_figures(a, b, dt, o);
	if (both & (1u << PROCFS_NETDEV)) {
		if (delta(a->net_rx_bytes, b->net_rx_bytes, &d))
			set(o, PROCFS_NET_RX_BPS, d / dt);
		if (delta(a->net_tx_bytes, b->net_tx_bytes, &d))
			set(o, PROCFS_NET_TX_BPS, d / dt);
		if (delta(a->net_rx_packets, b->net_rx_packets, &d))
			set(o, PROCFS_NET_RX_PPS, d / dt);
		if (delta(a->net_tx_packets, b->net_tx_packets, &d))
			set(o, PROCFS_NET_TX_PPS, d / dt);
	}
	if ((both & (1u << PROCFS_SNMP)) && delta(a->tcp_retrans, b->tcp_retrans, &d))
		set(o, PROCFS_TCP_RETRANS_PS, d / dt);
	if ((both & ((1u << PROCFS_NUMASTAT) | (1u << PROCFS_VMSTAT))) &&
	    delta(a->numa_miss, b->numa_miss, &d))
		set(o, PROCFS_NUMA_MISS_PS, d / dt);
	/* Watched processes: a pid's CPU counts when it is in both samples (one that started or
	 * ended between them is counted from its next or up to its last sample). */
	if (w && (b->have & (1u << PROCFS_PROCS))) {
		for (i = 0; i < b->nprocs; i++) {
			const struct procfs_proc *pb = &b->procs[i];

			if (pb->name >= w->n)
				continue;
			o->proc_count[pb->name]++;
			o->proc_rss[pb->name] += (double)pb->rss_pages * (double)b->pagesize;
			for (j = 0; j < a->nprocs; j++)
				if (a->procs[j].pid == pb->pid && a->procs[j].name == pb->name &&
				    pb->ticks >= a->procs[j].ticks && b->clk_tck > 0)
					o->proc_cpu_pct[pb->name] +=
					    100.0 * (double)(pb->ticks - a->procs[j].ticks) /
					    (double)b->clk_tck / dt;
		}
	}
}

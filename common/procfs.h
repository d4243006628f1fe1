/* Parsers of Linux /proc text for target monitoring (controller/monitor.c), and the arithmetic
 * that turns two samples into per-second figures.
 *
 * The text comes from a monitored machine, over SSH: it is untrusted input. Everything here is a
 * pure function of its arguments: no allocation, no I/O, fixed-size tables with hard caps (a
 * machine with more cores, disks or interfaces than the caps is summed over what fits; the
 * whole-machine CPU line is always exact). A malformed line is skipped, never trusted: numbers
 * are parsed with range checks, and a counter that goes backwards (a reboot, a wrapped 32-bit
 * counter, an interface that went away) gives no rate for that interval instead of a huge one.
 *
 * A sample arrives as one *block*, the same text whether it was read locally or by the remote
 * shell loop (controller/monitor.c writes both):
 *
 *   @@barrage-monitor 1 CLK_TCK PAGESIZE
 *   @@file uptime        then /proc/uptime's text; likewise stat, meminfo, loadavg, diskstats,
 *   ...                  net/dev, vmstat, net/snmp, numastat (every node's numastat file one
 *   @@missing diskstats  after the other) and procs (/proc/[0-9]*\/stat of every process)
 *   @@end
 *
 * A file that could not be read is announced by `@@missing NAME`, so "the host's /proc lacks
 * this file" is told apart from "the file was empty". */
#ifndef BARRAGE_COMMON_PROCFS_H
#define BARRAGE_COMMON_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCFS_MAX_CORES 512
#define PROCFS_MAX_DISKS 64
#define PROCFS_MAX_PROCS 256 /* watched processes (pids) kept per sample */
#define PROCFS_MAX_NAMES 16  /* watched process names */
#define PROCFS_NAME_MAX	 16  /* the kernel's comm: 15 bytes and a NUL */

/* The files of a block, in the order the sources read them. A bit each in `have` / `missing`. */
enum procfs_file {
	PROCFS_UPTIME,
	PROCFS_STAT,
	PROCFS_MEMINFO,
	PROCFS_LOADAVG,
	PROCFS_DISKSTATS,
	PROCFS_NETDEV,
	PROCFS_VMSTAT,
	PROCFS_SNMP,
	PROCFS_NUMASTAT,
	PROCFS_PROCS,
	PROCFS_NFILES
};

/* "uptime", "stat", "meminfo", "loadavg", "diskstats", "net/dev", "vmstat", "net/snmp",
 * "numastat", "procs": the block's names, which are also the paths under /proc (numastat and
 * procs are read from several files; see the top of this file). */
extern const char *const procfs_file_names[PROCFS_NFILES];

/* CPU time in clock ticks (USER_HZ) since boot, as /proc/stat's cpu lines give it. */
struct procfs_cpu {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal;
};

struct procfs_disk {
	char name[32];
	uint64_t rd_sectors, wr_sectors; /* 512-byte sectors, whatever the device's block size */
	uint64_t io_ms;			 /* time the device had I/O in flight */
};

struct procfs_proc {
	int pid;
	uint8_t name;	/* index into the watched names */
	uint64_t ticks; /* utime + stime */
	uint64_t rss_pages;
};

/* One block, parsed. Fields of a file not in `have` are zero. */
struct procfs_sample {
	unsigned have;	  /* 1 << enum procfs_file: the file was present and parsed */
	unsigned missing; /* 1 << enum procfs_file: the block said @@missing */
	long clk_tck, pagesize;
	double uptime_s;
	struct procfs_cpu cpu; /* the whole machine */
	struct procfs_cpu cores[PROCFS_MAX_CORES];
	size_t ncores;
	double load1, load5, load15;
	uint64_t mem_total, mem_available, swap_total, swap_free; /* bytes */
	struct procfs_disk disks[PROCFS_MAX_DISKS];
	size_t ndisks;
	uint64_t net_rx_bytes, net_tx_bytes, net_rx_packets, net_tx_packets; /* every interface */
	uint64_t tcp_retrans;						     /* Tcp: RetransSegs */
	uint64_t tcp_out_segs;						     /* Tcp: OutSegs */
	uint64_t numa_miss;	    /* every node's numa_miss (vmstat's when no numastat) */
	uint64_t major_faults;	    /* vmstat pgmajfault */
	uint64_t swap_in, swap_out; /* vmstat pswpin, pswpout (pages) */
	struct procfs_proc procs[PROCFS_MAX_PROCS];
	size_t nprocs;
};

/* The names of processes to watch (the kernel's comm: names longer than 15 bytes are matched
 * on their first 15). */
struct procfs_watch {
	char names[PROCFS_MAX_NAMES][PROCFS_NAME_MAX];
	size_t n;
};

/* Figures between two samples. */
enum procfs_fig {
	PROCFS_CPU_PCT,	       /* busy: 100 - idle - iowait - steal, as top counts it */
	PROCFS_CPU_USER_PCT,   /* user + nice */
	PROCFS_CPU_SYSTEM_PCT, /* system + irq + softirq */
	PROCFS_CPU_IOWAIT_PCT,
	PROCFS_CPU_STEAL_PCT,
	PROCFS_CPU_CORE_MAX_PCT, /* the busiest core's busy % */
	PROCFS_LOAD1,
	PROCFS_MEM_USED,      /* bytes: total - available */
	PROCFS_MEM_AVAILABLE, /* bytes */
	PROCFS_SWAP_USED,     /* bytes */
	PROCFS_SWAP_PAGES_PS, /* pages swapped in + out per second */
	PROCFS_MAJOR_FAULTS_PS,
	PROCFS_DISK_READ_BPS,
	PROCFS_DISK_WRITE_BPS,
	PROCFS_DISK_UTIL_PCT, /* the busiest disk's share of time with I/O in flight */
	PROCFS_NET_RX_BPS,
	PROCFS_NET_TX_BPS,
	PROCFS_NET_RX_PPS,
	PROCFS_NET_TX_PPS,
	PROCFS_TCP_RETRANS_PS,
	PROCFS_NUMA_MISS_PS,
	PROCFS_NFIGS
};

/* The figures' names in stats.log and summary.json: "cpu_pct", "cpu_user_pct", ... */
extern const char *const procfs_fig_names[PROCFS_NFIGS];
/* Their unit, for charts and tables: "%", "", "B", "B/s", "/s". */
extern const char *const procfs_fig_units[PROCFS_NFIGS];

struct procfs_figures {
	uint32_t have; /* 1 << enum procfs_fig */
	double v[PROCFS_NFIGS];
	/* Per watched name: CPU % (100 = one core) and resident memory of every process of that
	 * name together; nprocs 0 means none was running. */
	double proc_cpu_pct[PROCFS_MAX_NAMES];
	double proc_rss[PROCFS_MAX_NAMES];
	unsigned proc_count[PROCFS_MAX_NAMES];
};

/* Per-file parsers: each reads the whole text of one file into s and returns 0, or -1 when the
 * text has none of what the file must hold (then s's fields for that file are left zero). */
int procfs_parse_uptime(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_stat(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_meminfo(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_loadavg(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_diskstats(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_netdev(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_vmstat(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_snmp(const char *text, size_t len, struct procfs_sample *s);
int procfs_parse_numastat(const char *text, size_t len, struct procfs_sample *s);
/* Lines of /proc/PID/stat; processes whose comm is in w are kept (at most PROCFS_MAX_PROCS). */
int procfs_parse_procs(const char *text, size_t len, const struct procfs_watch *w,
		       struct procfs_sample *s);

/* Find the first complete block in text[0..len): returns the number of bytes consumed up to and
 * including its @@end line (text before a block's header is garbage and skipped) and parses it
 * into s (cleared first); 0 when no complete block is there yet (the caller keeps the text and
 * waits for more); consumed > 0 with *ok false when a block ended but its header was bad. */
size_t procfs_parse_block(const char *text, size_t len, const struct procfs_watch *w,
			  struct procfs_sample *s, bool *ok);

/* Figures from two samples of one machine, prev older than cur. Rates need both samples to
 * hold the file and the uptime to have advanced; gauges (load, memory) need only cur. */
void procfs_figures(const struct procfs_sample *prev, const struct procfs_sample *cur,
		    const struct procfs_watch *w, struct procfs_figures *out);

#endif

/* procfs: each /proc parser on real text and on malformed and truncated text, the block
 * splitter, and the figures between two samples (rates, counters going backwards, gaps). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/procfs.h"

#define S(x) x, strlen(x)

static struct procfs_sample *new_sample(void)
{
	struct procfs_sample *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	return s;
}

static void test_stat(void **state)
{
	struct procfs_sample *s = new_sample();

	(void)state;
	assert_int_equal(procfs_parse_stat(S("cpu  100 5 50 800 20 3 2 10 0 0\n"
					     "cpu0 60 5 30 400 10 2 1 5 0 0\n"
					     "cpu1 40 0 20 400 10 1 1 5 0 0\n"
					     "intr 12345 1 2 3\nctxt 999\nbtime 1700000000\n"),
					   s),
			 0);
	assert_true(s->cpu.user == 100 && s->cpu.nice == 5 && s->cpu.system == 50 &&
		    s->cpu.idle == 800 && s->cpu.iowait == 20 && s->cpu.steal == 10);
	assert_int_equal(s->ncores, 2);
	assert_true(s->cores[1].user == 40);
	/* Old kernels: four fields only. */
	memset(s, 0, sizeof(*s));
	assert_int_equal(procfs_parse_stat(S("cpu 1 2 3 4\n"), s), 0);
	assert_true(s->cpu.idle == 4 && s->cpu.steal == 0);
	/* Garbage, no total line, a truncated one, an overflowing number. */
	memset(s, 0, sizeof(*s));
	assert_int_equal(procfs_parse_stat(S("hello\n"), s), -1);
	assert_int_equal(procfs_parse_stat(S("cpu 1 2"), s), -1);
	assert_int_equal(procfs_parse_stat(S("cpu 99999999999999999999999 1 2 3\n"), s), -1);
	assert_int_equal(procfs_parse_stat("", 0, s), -1);
	assert_false(s->have & (1u << PROCFS_STAT));
	free(s);
}

static void test_meminfo_loadavg_uptime(void **state)
{
	struct procfs_sample *s = new_sample();

	(void)state;
	assert_int_equal(procfs_parse_meminfo(S("MemTotal:        8000 kB\nMemFree:  1000 kB\n"
						"MemAvailable:    3000 kB\nBuffers: 10 kB\n"
						"SwapTotal:       2000 kB\nSwapFree:  1500 kB\n"),
					      s),
			 0);
	assert_true(s->mem_total == 8000 * 1024 && s->mem_available == 3000 * 1024);
	assert_true(s->swap_total - s->swap_free == 500 * 1024);
	/* Before MemAvailable: free + buffers + cached. */
	memset(s, 0, sizeof(*s));
	assert_int_equal(procfs_parse_meminfo(S("MemTotal: 100 kB\nMemFree: 10 kB\nBuffers: 5 kB\n"
						"Cached: 20 kB\n"),
					      s),
			 0);
	assert_true(s->mem_available == 35 * 1024);
	/* Available over total is clamped, free swap over total too. */
	memset(s, 0, sizeof(*s));
	assert_int_equal(procfs_parse_meminfo(S("MemTotal: 10 kB\nMemAvailable: 50 kB\n"
						"SwapTotal: 1 kB\nSwapFree: 9 kB\n"),
					      s),
			 0);
	assert_true(s->mem_available == s->mem_total && s->swap_free == s->swap_total);
	assert_int_equal(procfs_parse_meminfo(S("MemFree: 10 kB\n"), s), -1);

	assert_int_equal(procfs_parse_loadavg(S("0.52 1.50 2.25 3/456 7890\n"), s), 0);
	assert_true(fabs(s->load1 - 0.52) < 1e-9 && fabs(s->load15 - 2.25) < 1e-9);
	assert_int_equal(procfs_parse_loadavg(S("0.52 x"), s), -1);
	assert_true(s->load1 == 0);

	assert_int_equal(procfs_parse_uptime(S("12345.67 9999.00\n"), s), 0);
	assert_true(fabs(s->uptime_s - 12345.67) < 1e-6);
	assert_int_equal(procfs_parse_uptime(S("-1\n"), s), -1);
	free(s);
}

static void test_diskstats(void **state)
{
	struct procfs_sample *s = new_sample();

	(void)state;
	assert_int_equal(procfs_parse_diskstats(
			     S("   7       0 loop0 5 0 100 1 0 0 0 0 0 4 1\n"
			       "   8       0 sda 1000 10 20000 500 2000 20 40000 900 0 1200 1400\n"
			       "   8       1 sda1 900 10 18000 400 1900 20 38000 800 0 1100 1200\n"
			       " 259       0 nvme0n1 10 0 80 1 20 0 160 2 0 3 3 0 0 0 0\n"
			       " 259       1 nvme0n1p1 10 0 80 1 20 0 160 2 0 3 3 0 0 0 0\n"
			       " 253       0 dm-0 1 1 1 1 1 1 1 1 0 1 1\n"
			       "   8      16 sdb 1 2\n"),
			     s),
			 0);
	assert_int_equal(s->ndisks, 2);
	assert_string_equal(s->disks[0].name, "sda");
	assert_true(s->disks[0].rd_sectors == 20000 && s->disks[0].wr_sectors == 40000 &&
		    s->disks[0].io_ms == 1200);
	assert_string_equal(s->disks[1].name, "nvme0n1");
	free(s);
}

static void test_netdev_snmp_vmstat_numa(void **state)
{
	struct procfs_sample *s = new_sample();

	(void)state;
	assert_int_equal(
	    procfs_parse_netdev(
		S("Inter-|   Receive                                                |  Transmit\n"
		  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
		  "packets errs drop fifo colls carrier compressed\n"
		  "    lo: 1000 10 0 0 0 0 0 0 1000 10 0 0 0 0 0 0\n"
		  "  eth0: 5000 50 0 0 0 0 0 0 7000 70 0 0 0 0 0 0\n"
		  "  bad0: 1 2 3\n"),
		s),
	    0);
	assert_true(s->net_rx_bytes == 6000 && s->net_tx_bytes == 8000 && s->net_rx_packets == 60 &&
		    s->net_tx_packets == 80);
	assert_int_equal(procfs_parse_netdev(S("Inter-| Receive\n"), s), -1);

	assert_int_equal(
	    procfs_parse_snmp(S("Ip: Forwarding DefaultTTL\nIp: 1 64\n"
				"Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens "
				"AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs "
				"InErrs OutRsts InCsumErrors\n"
				"Tcp: 1 200 120000 -1 100 50 3 4 5 1000 2000 42 0 7 0\n"
				"Udp: InDatagrams\nUdp: 5\n"),
			      s),
	    0);
	assert_true(s->tcp_retrans == 42 && s->tcp_out_segs == 2000);
	memset(s, 0, sizeof(*s));
	assert_int_equal(procfs_parse_snmp(S("Tcp: RetransSegs\n"), s), -1);
	assert_int_equal(procfs_parse_snmp(S("Tcp: OutSegs\nTcp: 5\n"), s), -1);

	assert_int_equal(procfs_parse_vmstat(S("nr_free_pages 100\npgmajfault 7\npswpin 1\n"
					       "pswpout 2\nnuma_miss 9\n"),
					     s),
			 0);
	assert_true(s->major_faults == 7 && s->swap_in == 1 && s->swap_out == 2 &&
		    s->numa_miss == 9);
	/* Per-node numastat, two nodes, wins over vmstat's figure. */
	assert_int_equal(procfs_parse_numastat(S("numa_hit 10\nnuma_miss 3\nnuma_foreign 1\n"
						 "numa_hit 20\nnuma_miss 4\n"),
					       s),
			 0);
	assert_true(s->numa_miss == 7);
	free(s);
}

static void test_procs(void **state)
{
	struct procfs_sample *s = new_sample();
	struct procfs_watch w;

	(void)state;
	memset(&w, 0, sizeof(w));
	snprintf(w.names[0], PROCFS_NAME_MAX, "barrage-target");
	snprintf(w.names[1], PROCFS_NAME_MAX, "a b) c");
	w.n = 2;
	assert_int_equal(
	    procfs_parse_procs(
		S("1 (systemd) S 0 1 1 0 -1 4194560 1000 0 0 0 10 20 0 0 20 0 1 0 5 100000 "
		  "300 18446744073709551615\n"
		  "42 (barrage-target) R 1 42 42 0 -1 4194560 1000 0 0 0 150 50 0 0 20 0 4 0 5 "
		  "100000 2500 18446744073709551615\n"
		  "43 (a b) c) S 1 42 42 0 -1 4194560 1000 0 0 0 1 2 0 0 -2 -5 4 0 5 100000 10 "
		  "0\n"
		  "44 (barrage-target) R 1 42\n"
		  "garbage (\n"),
		&w, s),
	    0);
	assert_int_equal(s->nprocs, 2);
	assert_int_equal(s->procs[0].pid, 42);
	assert_true(s->procs[0].ticks == 200 && s->procs[0].rss_pages == 2500);
	assert_int_equal(s->procs[1].name, 1);
	assert_true(s->procs[1].ticks == 3);
	free(s);
}

static const char *block(char *out, size_t size, double up, unsigned busy, unsigned idle,
			 unsigned long rx, unsigned ticks, bool with_disk)
{
	snprintf(
	    out, size,
	    "junk before\n"
	    "@@barrage-monitor 1 100 4096\n"
	    "@@file uptime\n%.2f 0.00\n"
	    "@@file stat\ncpu %u 0 0 %u 0 0 0 0\ncpu0 %u 0 0 0 0 0 0 0\ncpu1 0 0 0 %u 0 0 0 0\n"
	    "@@file meminfo\nMemTotal: 1000 kB\nMemAvailable: 400 kB\n"
	    "@@file loadavg\n1.5 1.0 0.5 1/2 3\n"
	    "%s"
	    "@@file net/dev\n eth0: %lu 10 0 0 0 0 0 0 %lu 20 0 0 0 0 0 0\n"
	    "@@file net/snmp\nTcp: RetransSegs\nTcp: %u\n"
	    "@@file procs\n7 (srv) R 1 1 1 0 -1 0 0 0 0 0 %u 0 0 0 20 0 1 0 1 1 10 0\n"
	    "@@end\n",
	    up, busy, idle, busy, idle,
	    with_disk ? "@@file diskstats\n 8 0 sda 0 0 0 0 0 0 0 0 0 0 0\n"
		      : "@@missing diskstats\n",
	    rx, rx, ticks / 10, ticks);
	return out;
}

static void test_block_and_figures(void **state)
{
	struct procfs_sample *a = new_sample(), *b = new_sample();
	struct procfs_figures f;
	struct procfs_watch w;
	char t1[2048], t2[2048];
	size_t n, len;
	bool ok;

	(void)state;
	memset(&w, 0, sizeof(w));
	snprintf(w.names[0], PROCFS_NAME_MAX, "srv");
	w.n = 1;
	block(t1, sizeof(t1), 100.0, 100, 100, 1000, 100, true);
	block(t2, sizeof(t2), 102.0, 250, 150, 3000, 300, false);
	len = strlen(t1);
	/* Every truncated prefix is "not yet". */
	for (n = 0; n < len; n++)
		assert_int_equal(procfs_parse_block(t1, n, &w, a, &ok), 0);
	assert_int_equal(procfs_parse_block(t1, len, &w, a, &ok), len);
	assert_true(ok);
	assert_int_equal(a->clk_tck, 100);
	assert_true(a->have & (1u << PROCFS_DISKSTATS));
	assert_int_equal(procfs_parse_block(t2, strlen(t2), &w, b, &ok), strlen(t2));
	assert_true(ok);
	assert_true(b->missing & (1u << PROCFS_DISKSTATS));
	assert_false(b->have & (1u << PROCFS_DISKSTATS));

	procfs_figures(a, b, &w, &f);
	/* 150 busy of 200 ticks = 75%; core 0 all busy. */
	assert_true(fabs(f.v[PROCFS_CPU_PCT] - 75.0) < 1e-9);
	assert_true(fabs(f.v[PROCFS_CPU_CORE_MAX_PCT] - 100.0) < 1e-9);
	assert_true(fabs(f.v[PROCFS_LOAD1] - 1.5) < 1e-9);
	assert_true(f.v[PROCFS_MEM_USED] == 600 * 1024);
	assert_true(fabs(f.v[PROCFS_NET_RX_BPS] - 1000.0) < 1e-9);   /* 2000 B over 2 s */
	assert_true(fabs(f.v[PROCFS_TCP_RETRANS_PS] - 10.0) < 1e-9); /* 10 -> 30 */
	/* 200 ticks of 100/s over 2 s = 100% of a core; rss 10 pages. */
	assert_true(fabs(f.proc_cpu_pct[0] - 100.0) < 1e-9);
	assert_true(f.proc_rss[0] == 10 * 4096);
	/* The disk file went missing: no disk figure rather than a wrong one. */
	assert_false(f.have & (1u << PROCFS_DISK_READ_BPS));

	/* Counters going backwards (reboot): no rate, no CPU figure. */
	procfs_figures(b, a, &w, &f);
	assert_false(f.have & (1u << PROCFS_CPU_PCT));
	assert_false(f.have & (1u << PROCFS_NET_RX_BPS));
	assert_true(f.have & (1u << PROCFS_LOAD1));
	/* First sample alone: gauges only. */
	procfs_figures(NULL, a, &w, &f);
	assert_true(f.have & (1u << PROCFS_MEM_USED));
	assert_false(f.have & (1u << PROCFS_CPU_PCT));

	/* A block whose header is bad ends but is not ok; one cut by a new header restarts. */
	assert_true(procfs_parse_block(S("@@barrage-monitor 1 x y\n@@end\n"), &w, a, &ok) > 0);
	assert_false(ok);
	n = procfs_parse_block(S("@@barrage-monitor 1 100 4096\n@@file stat\ncpu 1 2 3 4\n"
				 "@@barrage-monitor 1 100 4096\n@@end\n"),
			       &w, a, &ok);
	assert_int_equal(n, strlen("@@barrage-monitor 1 100 4096\n@@file stat\ncpu 1 2 3 4\n"));
	assert_false(ok);
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stat),      cmocka_unit_test(test_meminfo_loadavg_uptime),
	    cmocka_unit_test(test_diskstats), cmocka_unit_test(test_netdev_snmp_vmstat_numa),
	    cmocka_unit_test(test_procs),     cmocka_unit_test(test_block_and_figures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* libFuzzer target for journal recovery and the offline check: the input (after the magic) is
 * written as a journal; journal_open replays it into a wallet store with history (so the wallet
 * record decoders, the torn-tail / mid-file-damage decision and history chunk loading all run),
 * journal_fsck reports on it, and a repaired copy is opened again. Nothing may crash, and after
 * fsck --repair the journal must open. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "servers/journal.h"
#include "servers/wallet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], jpath[96], hpath[96], side[128];
static FILE *devnull;

static void at_exit(void)
{
	char seg[128];

	unlink(jpath);
	snprintf(seg, sizeof(seg), "%s.000001", hpath);
	unlink(seg);
	unlink(side);
	rmdir(dir);
	if (devnull)
		fclose(devnull);
}

static int replay(void *ctx, unsigned type, const uint8_t *data, size_t len, char **err)
{
	return wallet_replay(ctx, type, data, len, err);
}

/* Open the journal into a fresh store; returns journal_open's result. */
static int open_once(void)
{
	struct wallet_store ws;
	struct journal *j = NULL;
	char *err = NULL;
	int rc;

	wallet_store_init(&ws);
	if (wallet_store_open_history(&ws, hpath, 0, &err) < 0) {
		free(err);
		wallet_store_free(&ws);
		return -1;
	}
	rc = journal_open(&j, jpath, JOURNAL_SYNC_NONE, replay, &ws, NULL, &err);
	if (rc == 0)
		journal_close(j);
	free(err);
	wallet_store_free(&ws);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f;
	char *err = NULL;
	int rc;

	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/fuzz_journal.XXXXXX");
		if (!mkdtemp(dir))
			abort();
		snprintf(jpath, sizeof(jpath), "%s/wallet.journal", dir);
		snprintf(hpath, sizeof(hpath), "%s/wallet.history", dir);
		snprintf(side, sizeof(side), "%s.corrupt.1", jpath);
		devnull = fopen("/dev/null", "w");
		log_level = -1;
		atexit(at_exit);
	}
	if (size > (1 << 16))
		return 0;
	unlink(side);
	f = fopen(jpath, "wb");
	if (!f)
		abort();
	fwrite(JOURNAL_MAGIC, 1, JOURNAL_HEADER_SIZE, f);
	fwrite(data, 1, size, f);
	fclose(f);
	(void)open_once();
	rc = journal_fsck(jpath, 0, devnull, &err);
	free(err);
	err = NULL;
	if (rc == 1) {
		/* Damage found: repaired, the journal's framing must then be clean. */
		if (journal_fsck(jpath, 1, devnull, &err) != 2)
			abort();
		free(err);
		err = NULL;
		if (journal_fsck(jpath, 0, devnull, &err) != 0)
			abort();
		free(err);
		(void)open_once();
	}
	return 0;
}

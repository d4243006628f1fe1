/* Fuzz target: reading a stats.log (reports/statslog.c) and deriving every output from it. Any
 * input either loads or is refused with a message; a loaded run must produce summary.json and
 * tsung.log without a crash. The input goes through a temporary file because the reader takes
 * a path, as `barrage report` does. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/run.h"
#include "reports/statslog.h"
#include "reports/summary.h"
#include "reports/tsunglog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char dir[] = "/tmp/barrage-fuzz-statslog-XXXXXX";
	char path[128], out[128];
	struct reports_run *run = NULL;
	char *err = NULL;
	FILE *f;

	if (!mkdtemp(dir))
		return 0;
	snprintf(path, sizeof(path), "%s/stats.log", dir);
	snprintf(out, sizeof(out), "%s/tsung.log", dir);
	f = fopen(path, "wb");
	if (f) {
		if (size)
			fwrite(data, 1, size, f);
		fclose(f);
		if (reports_run_load(path, &run, &err) == 0) {
			json_t *j = reports_summary_json(run);
			char *text = json_dumps(j, 0);

			if (!text)
				abort();
			free(text);
			json_decref(j);
			if (reports_tsunglog_write(run, out, &err) != 0)
				abort();
			unlink(out);
		} else if (!err) {
			abort(); /* a refusal always says why */
		}
	}
	free(err);
	reports_run_free(run);
	unlink(path);
	rmdir(dir);
	return 0;
}

/* placeholder, replaced below */
#include "common/err.h"
#include "controller/import.h"
int import_har(const char *path, const struct import_opts *o, struct imp_doc *d, FILE *report,
	       char **err)
{
	return err_set(err, "%s: not yet", path);
}

/* The compiled plan (struct prog): everything the workers need, prepared once before the load
 * starts and then only read, so the worker threads share it without locks. Sessions are trees
 * of compiled steps (struct cstep); a request step holds its compiled request (struct creq:
 * templates, constant parts prebuilt, captures and expectations). Variables are numbered
 * symbols; statistics are numbered names (metrics.h).
 *
 * Who builds what: prog_compile.c walks the plan (variables, sessions, steps, the HTTP options
 * the workers need), prog_request.c compiles one request, and this file's prog.c holds the
 * tables they share (symbols, statistic names) and the helpers that compile a template or a
 * regex with the scenario position in the error. */
#ifndef BARRAGE_AGENT_PROG_H
#define BARRAGE_AGENT_PROG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>
#include <sys/socket.h>

#include "common/expr.h"
#include "common/jsonpath.h"
#include "common/plan.h"
#include "common/tmpl.h"

struct dataset;

enum sym_kind { SYM_VAR = 0, SYM_DATA };

struct sym {
	char *name;
	enum sym_kind kind;
	int data, column; /* SYM_DATA */
};

struct cset {
	int sym;
	struct tmpl *value;
};

struct ccapture {
	const struct plan_capture *src;
	int sym;
	int err_ctr;
	void *re; /* pcre2_code * (regex) */
	struct jsonpath *jp;
};

struct chdr {
	char *name;
	struct tmpl *t; /* NULL when constant */
	char *line;	/* "Name: value" when constant */
};

enum { M_GET = 0, M_POST, M_HEAD, M_OTHER };

struct creq {
	const struct plan_request *src;
	struct plan_pos pos; /* the step's place in the scenario, for the agent's log */
	int method;
	struct tmpl *url;  /* NULL when constant */
	char *url_const;   /* the absolute URL when constant */
	CURLU *url_handle; /* prebuilt for url_const (read only after compile) */
	bool url_is_path;  /* templated URL that needs the target prefix */
	struct chdr *hdrs;
	size_t nhdrs;
	size_t nhdr_tmpl;  /* how many of hdrs are templates */
	struct tmpl *body; /* NULL: no body or constant */
	char *body_const;
	size_t body_len;
	bool has_body;
	bool need_body;	   /* a capture or an expectation reads the response body */
	bool need_headers; /* a capture or an expectation reads a response header (lean client) */
	struct ccapture *caps;
	size_t ncaps;
	void *expect_re; /* pcre2_code * for expect.body_regex */
	int hist;	 /* req_NAME or -1 */
	long timeout_ms;
	uint32_t max_redirects; /* redirects followed (request's own or http.follow_redirects) */
};

struct cstep {
	const struct plan_step *src;
	enum plan_step_kind kind;
	struct creq *req;
	struct expr *cond;
	struct cstep *body, *else_body;
	size_t nbody, nelse;
	int hist;		/* TRANSACTION: tr_NAME */
	int list_sym, item_sym; /* FOREACH */
	struct cset *set;
	size_t nset;
	int abort_ctr; /* ABORT */
};

struct csession {
	const struct plan_session *src;
	struct cstep *steps;
	size_t nsteps;
	double cum_weight; /* for weighted choice */
};

struct prog {
	const struct plan *plan;
	struct csession *sessions;
	size_t nsessions;
	double total_weight;
	struct cset *globals; /* plan.variables, evaluated when a user starts */
	size_t nglobals;
	struct sym *syms;
	size_t nsyms, syms_cap;
	int *sym_hash; /* open addressing, -1 empty, size sym_hash_size */
	size_t sym_hash_size;
	char **hist_names;
	size_t nhists, hists_cap;
	char **ctr_names;
	size_t nctrs, ctrs_cap;
	struct dataset *data;
	size_t ndata;
	size_t max_depth; /* deepest nesting of steps + 1 */
	char *target;	  /* plan target without a trailing slash */
	bool https;
	bool lean; /* requests go through the agent's own HTTP/1.1 client (h1.c) */
	struct sockaddr_storage *src_addrs; /* http.source_addresses, port 0 */
	size_t nsrc_addrs;
	bool https_urls; /* a request's constant URL is https:// */
	bool need_match_data;
	uint32_t max_groups;
};

/* Compile p (kept by the caller, read for the prog's whole life) into *out; data files are
 * loaded too (data.c). Errors name the scenario position. */
int prog_compile(const struct plan *p, struct prog **out, char **err);
void prog_free(struct prog *g);
/* The symbol of variable name, or -1. */
int prog_sym_find(const struct prog *g, const char *name, size_t len);

/* ---- for the compiler's files (prog_compile.c, prog_request.c) ---- */

/* err = "SOURCE:LINE:COL: fmt what: detail"; returns -1. */
int prog_where(const struct prog *g, struct plan_pos pos, char **err, const char *fmt,
	       const char *what, const char *detail);
/* The symbol of name, added when new; -1 out of memory. */
int prog_sym_add(struct prog *g, const char *name, enum sym_kind kind, int data, int column);
/* The index of statistic PREFIX NAME among the histograms (hist) or counters; refuses a name a
 * STATS frame cannot carry, with the position. -1 with *err. */
int prog_stat_index(struct prog *g, bool hist, const char *prefix, const char *name,
		    struct plan_pos pos, const char *what, char **err);
/* The index of counter PREFIX NAME, unchecked (capture variables); -1 out of memory. */
int prog_ctr_index(struct prog *g, const char *prefix, const char *name);
/* Name the fixed statistics (metrics.h) and index the symbols once they are all known. */
int prog_fixed_names(struct prog *g);
int prog_build_sym_hash(struct prog *g);
int prog_tmpl(struct prog *g, const char *src, enum tmpl_escape esc, struct plan_pos pos,
	      const char *what, struct tmpl **out, char **err);
/* A compiled pcre2 regex (JIT when available), NULL with *err. */
void *prog_regex(struct prog *g, const char *src, struct plan_pos pos, const char *what,
		 char **err);
/* An absolute http:// or https:// URL. */
bool prog_url_is_absolute(const char *url);

#endif

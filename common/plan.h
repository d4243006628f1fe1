/* The plan: a validated scenario, as the agent runs it.
 *
 * The controller parses the user's YAML (controller/scenario*.c) into this model, checks it
 * fully, splits the load across agents (each agent's plan carries its own share: its arrival
 * rates, user counts and data slice are already scaled), and sends it to each agent as JSON in
 * a PLAN frame. The agent decodes that JSON back into this model (plan_decode), which is why
 * the decoder validates everything again: it is the one thing the agent parses, and it comes
 * over a wire. plan.json in the run directory is the same encoding.
 *
 * Conventions: durations are int64 microseconds (`_us`); rates are per second (double); strings
 * are heap-allocated and owned by the plan; every array has a count; `line`/`col` (1-based) say
 * where in the scenario file an item was written, so the agent can report a runtime failure
 * against the user's source. Template strings ("{{ ... }}") are kept as written and compiled by
 * whoever runs them (common/tmpl.h).
 *
 * The plain fields (durations, booleans, counts, sizes, strings) are described once, as data,
 * in common/plan_schema.c: that table drives the YAML mapping, the JSON codec and free/clone
 * (docs/architecture.md, "adding a plan field"). */
#ifndef BARRAGE_COMMON_PLAN_H
#define BARRAGE_COMMON_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

#define PLAN_LINK_TIMEOUT_US 5000000LL /* agents.link_timeout's default */

struct plan_pos {
	int line, col;
};

/* A name and a (template) value: headers, `set` assignments, variables. */
struct plan_kv {
	char *name;
	char *value;
	struct plan_pos pos;
};

/* ---- load models ---- */

enum plan_model {
	PLAN_MODEL_OPEN = 0,   /* phases of Poisson arrivals; each user runs one session */
	PLAN_MODEL_CLOSED = 1, /* `users` sessions at all times for `duration` */
	PLAN_MODEL_RATE = 2,   /* `users` sessions paced to `request_rate` requests/s in total */
};

struct plan_phase {
	char *name;           /* optional */
	int64_t duration_us;
	double arrival_rate;  /* users/s at the start of the phase */
	double ramp_to;       /* users/s at the end; < 0 means constant (no ramp) */
	struct plan_pos pos;
};

struct plan_load {
	enum plan_model model;
	struct plan_phase *phases; /* open model */
	size_t nphases;
	uint64_t max_users;    /* open model: concurrent cap, 0 = none; arrivals over it are dropped */
	uint64_t users;        /* closed and rate models */
	int64_t duration_us;   /* closed and rate models */
	int64_t ramp_up_us;    /* closed and rate models: users start spread over this; 0 = at once */
	double request_rate;   /* rate model: requests/s */
};

/* ---- HTTP settings ---- */

#define PLAN_MAX_REDIRECTS 100 /* most redirects a request may follow */

struct plan_http {
	int64_t timeout_us;         /* per request; default 10 s */
	int64_t connect_timeout_us; /* default 3 s */
	bool keepalive;             /* default true */
	int version;                /* 11 or 2 */
	bool tls_verify;            /* default true */
	bool tls_session_reuse;     /* http.tls.session_reuse, default true */
	char *tls_ca, *tls_cert, *tls_key, *tls_ciphers; /* file paths / cipher list, or NULL */
	struct plan_kv *headers;    /* default headers on every request */
	size_t nheaders;
	bool share_connections;     /* false (default): each user has its own connections */
	uint64_t max_body;          /* bytes of a response body kept for captures/expects; 1 MiB */
	bool compression;           /* default true: Accept-Encoding gzip, deflate; bodies decoded */
	uint32_t follow_redirects;  /* redirects followed, each hop a request; default 0 */
	int client;                 /* PLAN_CLIENT_*: which HTTP client the agent uses */
	char *source_addresses;     /* "ip,ip,...": each new connection bound to the next, or NULL */
};

/* http.client: libcurl, the agent's own HTTP/1.1 client, or the lean one where it covers the
 * plan (plain http://, HTTP/1.1, no shared connection pool) and libcurl elsewhere. */
enum { PLAN_CLIENT_CURL = 0, PLAN_CLIENT_LEAN = 1, PLAN_CLIENT_AUTO = 2 };
const char *plan_client_name(int client);
int plan_client_parse(const char *s);

/* ---- data files ---- */

enum plan_order { PLAN_ORDER_SEQUENTIAL = 0, PLAN_ORDER_RANDOM = 1, PLAN_ORDER_UNIQUE = 2 };

struct plan_data {
	char *name;       /* the key under data:, used as {{ name.column }} */
	char *file;       /* path the agent opens (rewritten by the controller for remote hosts) */
	enum plan_order order;
	char **columns;   /* from the header row */
	size_t ncolumns;
	uint64_t rows;    /* data rows in the file (header excluded), as counted at check time */
	/* This agent's slice: rows r with r % part_count == part_index. The controller sets
	 * part_count = number of agents for `unique` (so no row is used by two agents) and 1
	 * otherwise. */
	uint32_t part_index, part_count;
	struct plan_pos pos;
};

/* ---- steps ---- */

enum plan_step_kind {
	PLAN_STEP_REQUEST = 0,
	PLAN_STEP_THINK,
	PLAN_STEP_TRANSACTION,
	PLAN_STEP_IF,
	PLAN_STEP_REPEAT,
	PLAN_STEP_WHILE,
	PLAN_STEP_FOREACH,
	PLAN_STEP_SET,
	PLAN_STEP_ABORT,
};

enum plan_capture_kind {
	PLAN_CAPTURE_JSON = 0, /* JSONPath subset: $.a.b, [n], [*] */
	PLAN_CAPTURE_REGEX,    /* PCRE2; the first group (or the whole match without groups) */
	PLAN_CAPTURE_HEADER,   /* response header, case-insensitive name */
	PLAN_CAPTURE_COOKIE,   /* cookie value from the user's jar after the response */
	PLAN_CAPTURE_STATUS,   /* the status code */
};

enum plan_pick { PLAN_PICK_FIRST = 0, PLAN_PICK_RANDOM, PLAN_PICK_ALL };

struct plan_capture {
	char *var;                  /* variable to set */
	enum plan_capture_kind kind;
	char *expr;                 /* path, regex, header or cookie name; NULL for status */
	enum plan_pick pick;        /* PLAN_PICK_ALL stores a list (for foreach) */
	char *default_value;        /* used when nothing matched; NULL = a failed capture is an error
				       counted as error_capture_VAR and handled per on_fail */
	struct plan_pos pos;
};

enum plan_on_fail { PLAN_ON_FAIL_ABORT = 0, PLAN_ON_FAIL_CONTINUE, PLAN_ON_FAIL_RESTART };

struct plan_status_range {
	int lo, hi; /* inclusive: 200..200 for "200", 200..299 for "2xx" */
};

struct plan_expect {
	struct plan_status_range *status; /* any of these; none = no status check */
	size_t nstatus;
	char *body_contains;              /* NULL = no check */
	char *body_regex;                 /* NULL = no check */
	struct plan_kv *headers;          /* header NAME must be present and contain VALUE */
	size_t nheaders;
	enum plan_on_fail on_fail;
	struct plan_pos pos;
};

enum plan_body_kind { PLAN_BODY_NONE = 0, PLAN_BODY_RAW, PLAN_BODY_JSON, PLAN_BODY_FORM };

struct plan_request {
	char *method;        /* upper case */
	char *url;           /* template; a path is joined to the plan's target */
	char *name;          /* stats group (req_NAME); NULL = none */
	struct plan_kv *headers;
	size_t nheaders;
	enum plan_body_kind body_kind;
	/* RAW: template text. JSON: JSON text whose string values may hold templates; the values
	 * they render to are JSON-escaped. FORM: fields in `form`, URL-encoded at send time. */
	char *body;
	struct plan_kv *form;
	size_t nform;
	int64_t timeout_us;  /* 0 = the http default */
	bool has_follow_redirects; /* follow_redirects set on this request, else the http default */
	uint32_t follow_redirects;
	struct plan_capture *captures;
	size_t ncaptures;
	struct plan_expect expect; /* no checks at all when nstatus == 0 and the rest are NULL */
	bool has_expect;
};

enum plan_think_kind { PLAN_THINK_FIXED = 0, PLAN_THINK_UNIFORM, PLAN_THINK_EXPONENTIAL };

struct plan_think {
	enum plan_think_kind kind;
	int64_t value_us; /* FIXED */
	int64_t min_us, max_us; /* UNIFORM */
	int64_t mean_us;  /* EXPONENTIAL */
};

struct plan_step;

struct plan_steps {
	struct plan_step *v;
	size_t n;
};

struct plan_step {
	enum plan_step_kind kind;
	struct plan_pos pos;
	struct plan_request request;   /* REQUEST */
	struct plan_think think;       /* THINK */
	char *name;                    /* TRANSACTION: reported as tr_NAME */
	char *cond;                    /* IF, WHILE: expression (common/expr.h) */
	uint64_t count;                /* REPEAT: times; WHILE: the bound (max iterations) */
	char *list_var;                /* FOREACH: the list variable to walk */
	char *item_var;                /* FOREACH: variable set to each item (default "item") */
	struct plan_kv *set;           /* SET: assignments, values are templates */
	size_t nset;
	char *reason;                  /* ABORT: counted as error_abort_REASON (or error_abort) */
	struct plan_steps body;        /* TRANSACTION, IF (then), REPEAT, WHILE, FOREACH */
	struct plan_steps else_body;   /* IF */
};

struct plan_session {
	char *name;
	double weight;
	struct plan_steps steps;
	struct plan_pos pos;
};

/* ---- thresholds, agents, report ---- */

struct plan_threshold {
	char *metric;    /* e.g. "request.p95" (validated by threshold_parse, common/threshold.h) */
	char *condition; /* e.g. "< 200ms" */
	bool abort_on_fail;
	int64_t delay_us; /* abort_on_fail: not before this much of the run has passed */
	struct plan_pos pos;
};

struct plan_host {
	char *user;       /* NULL = the local user name */
	char *host;
	int port;         /* default 22 */
	uint32_t agents;  /* agent processes on this host; default 1 */
	double weight;    /* share of the load relative to other hosts' agents; default 1 */
	struct plan_pos pos;
};

struct plan_agents {
	uint32_t local;         /* local agents when no hosts are given; 0 = one per core */
	struct plan_host *hosts;
	size_t nhosts;
	char *hosts_file;       /* read by the controller into hosts */
	uint32_t max_lost;      /* agents that may be lost before the run stops (exit 3) */
	uint32_t threads;       /* worker threads per agent process; 0 = 1 */
	/* Silence on a link (no frame at all, heartbeats included) after which the controller
	 * declares the agent lost and the agent stops its load and exits; default 5 s. */
	int64_t link_timeout_us;
};

/* export: where the controller pushes each merged interval as the run goes (controller/export.c,
 * docs/dashboard.md). Controller only, like monitor. */
struct plan_export {
	char *prometheus_rw; /* Prometheus remote-write URL, or NULL */
	struct plan_pos pos;
};

/* monitor: the machines whose CPU, memory, disk and network the controller watches during the
 * run (controller/monitor.c, docs/monitor.md). Only the controller uses it: plan_clone() leaves
 * it out of the agents' copies and the plan's JSON codec does not carry it. */
struct plan_monitor {
	char **hosts;		/* "local" or "user@host:port", as written */
	struct plan_pos *hosts_pos;
	size_t nhosts;
	char **processes;	/* process names (comm) whose CPU and memory are watched */
	size_t nprocesses;
	int64_t interval_us;	/* 0 = report.interval */
	bool optional;		/* start even if a host does not answer */
	char *hosts_file;	/* more hosts, in the hosts-file format */
	struct plan_pos pos;
};

/* This agent's identity and share; filled by the controller when it splits the plan. */
struct plan_share {
	char *agent_id;     /* "local-1", "load@10.0.0.5#2" */
	uint32_t index;     /* 0-based among all agents */
	uint32_t count;     /* number of agents */
	double fraction;    /* this agent's share of the load, 0..1 */
	uint64_t seed;      /* per-agent seed: runs are reproducible */
	uint64_t user_id_base; /* user_id() of this agent's users: base + n * count ... see docs */
	uint64_t slot_base;    /* closed and rate models: global number of this agent's first user
				* slot; agents hold consecutive ranges in index order (split.c) */
};

struct plan {
	int version;           /* BARRAGE_PLAN_VERSION */
	char *name;
	char *source;          /* scenario file path, for messages */
	char *target;          /* base URL */
	struct plan_http http;
	struct plan_load load;
	struct plan_data *data;
	size_t ndata;
	struct plan_kv *variables;
	size_t nvariables;
	struct plan_session *sessions;
	size_t nsessions;
	struct plan_threshold *thresholds;
	size_t nthresholds;
	struct plan_agents agents;
	int64_t interval_us;   /* report.interval; default 10 s */
	int64_t grace_us;      /* after the load ends: in-flight requests may finish; default 5 s */
	struct plan_share share;
	struct plan_monitor monitor; /* controller only */
	struct plan_export export;   /* controller only */
};

/* Frees the monitor section's contents and zeroes it. */
void plan_monitor_free(struct plan_monitor *m);

/* Allocation: plan_new() gives a plan with every default set; plan_free() accepts NULL. */
struct plan *plan_new(void);
void plan_free(struct plan *p);
void plan_steps_free(struct plan_steps *s);

/* JSON codec. encode appends the plan as one JSON document to out. decode validates everything
 * (types, ranges, templates and expressions compile, references resolve) and returns -1 with a
 * message naming the JSON path of the first problem. The agent uses decode; the controller uses
 * encode (PLAN frames, plan.json) and decode in its tests. */
int plan_encode(const struct plan *p, struct buf *out);
int plan_decode(const char *json, size_t len, struct plan **out, char **err);

/* Total duration of the load (sum of phases, or load.duration), excluding the grace period. */
int64_t plan_load_duration_us(const struct plan *p);

/* A deep copy (the controller makes one per agent before scaling it). NULL on no memory. */
struct plan *plan_clone(const struct plan *p);

#endif

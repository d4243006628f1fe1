/* The expression language's built-in functions: their table (name, argument count, whether
 * the result varies) that the compiler checks calls against, and what each one computes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "common/expr.h"
#include "common/expr_code.h"

#define EXPR_MAX_RANDOM_STRING 65536

const struct expr_fn expr_fn_table[] = {
    [EXPR_FN_RANDOM_INT] = {"random_int", 2, false},
    [EXPR_FN_RANDOM_STRING] = {"random_string", 1, false},
    [EXPR_FN_UUID] = {"uuid", 0, false},
    [EXPR_FN_USER_ID] = {"user_id", 0, false},
    [EXPR_FN_NOW_MS] = {"now_ms", 0, false},
    [EXPR_FN_LEN] = {"len", 1, true},
    [EXPR_FN_URLENCODE] = {"urlencode", 1, true},
};
const size_t expr_fn_count = sizeof(expr_fn_table) / sizeof(expr_fn_table[0]);

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9E3779B97F4A7C15ull; /* xorshift stays at 0 forever */

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* Uniform in [0, n) without modulo bias worth speaking of (multiply-high). */
static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(s) * n) >> 64);
}

static int need_int(const struct expr_val *v, const struct buf *scratch, const char *fn, double *d,
		    char **err)
{
	char what[64];

	if (expr_val_num(v, scratch, d) && *d == trunc(*d) && fabs(*d) <= 9007199254740992.0)
		return 0;
	snprintf(what, sizeof(what), "%s() needs a whole number", fn);
	return expr_val_error(err, v, scratch, what);
}

/* uuid(): a version 4 UUID from the user's random source, in scratch. */
static int fn_uuid(const struct expr_env *env, struct buf *scratch, struct expr_val *res,
		   char **err)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[16];
	uint64_t x = rng_next(env->rng), y = rng_next(env->rng);
	char *o;
	size_t i;

	memcpy(r, &x, 8);
	memcpy(r + 8, &y, 8);
	r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
	r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	if (buf_reserve(scratch, 36) < 0)
		return err_set(err, "uuid(): scratch buffer full");
	o = scratch->data + scratch->len;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[r[i] >> 4];
		*o++ = hex[r[i] & 15];
	}
	*res = (struct expr_val){.kind = EXPR_V_SCR, .off = scratch->len, .len = 36};
	scratch->len += 36;
	scratch->data[scratch->len] = '\0';
	return 0;
}

/* urlencode(v), RFC 3986: unreserved characters as they are, every other byte %XX, so the
 * value can go in a query or a path segment whatever it holds (spaces, &, #, UTF-8). */
static int fn_urlencode(const struct expr_val *v, struct buf *scratch, struct expr_val *res,
			char **err)
{
	static const char HEX[] = "0123456789ABCDEF";
	size_t off = scratch->len, n, i;
	const char *s;

	if (expr_val_scratch_append(scratch, v) < 0)
		return err_set(err, "urlencode(): scratch buffer full");
	n = scratch->len - off;
	if (buf_reserve(scratch, 3 * n) < 0)
		return err_set(err, "urlencode(): scratch buffer full");
	s = scratch->data + off; /* stable now: the room is reserved */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char *o = scratch->data + scratch->len;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			*o = (char)c;
			scratch->len++;
		} else {
			o[0] = '%';
			o[1] = HEX[c >> 4];
			o[2] = HEX[c & 15];
			scratch->len += 3;
		}
	}
	*res = (struct expr_val){.kind = EXPR_V_SCR, .off = off + n, .len = scratch->len - off - n};
	scratch->data[scratch->len] = '\0';
	return 0;
}

int expr_fn_call(uint8_t fn, struct expr_val *args, const struct expr_env *env, struct buf *scratch,
		 struct expr_val *res, char **err)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	double a, b;

	if ((fn == EXPR_FN_RANDOM_INT || fn == EXPR_FN_RANDOM_STRING || fn == EXPR_FN_UUID) &&
	    !env->rng)
		return err_set(err, "%s(): no random source", expr_fn_table[fn].name);
	switch (fn) {
	case EXPR_FN_RANDOM_INT: {
		uint64_t span;

		if (need_int(&args[0], scratch, "random_int", &a, err) < 0 ||
		    need_int(&args[1], scratch, "random_int", &b, err) < 0)
			return -1;
		if (a > b)
			return err_set(
			    err, "random_int(%lld, %lld): the low bound is above the high bound",
			    (long long)a, (long long)b);
		span = (uint64_t)((long long)b - (long long)a) + 1;
		*res = (struct expr_val){.kind = EXPR_V_NUM,
					 .num = a + (double)rng_below(env->rng, span)};
		return 0;
	}
	case EXPR_FN_RANDOM_STRING: {
		size_t n, i;

		if (need_int(&args[0], scratch, "random_string", &a, err) < 0)
			return -1;
		if (a < 0 || a > EXPR_MAX_RANDOM_STRING)
			return err_set(err, "random_string(%lld): the length must be 0 to %d",
				       (long long)a, EXPR_MAX_RANDOM_STRING);
		n = (size_t)a;
		if (buf_reserve(scratch, n) < 0)
			return err_set(err, "random_string(): scratch buffer full");
		*res = (struct expr_val){.kind = EXPR_V_SCR, .off = scratch->len, .len = n};
		for (i = 0; i < n; i++)
			scratch->data[scratch->len + i] = alnum[rng_below(env->rng, 62)];
		scratch->len += n;
		scratch->data[scratch->len] = '\0';
		return 0;
	}
	case EXPR_FN_UUID:
		return fn_uuid(env, scratch, res, err);
	case EXPR_FN_USER_ID:
		*res = (struct expr_val){.kind = EXPR_V_NUM, .num = (double)env->user_id};
		return 0;
	case EXPR_FN_NOW_MS:
		*res = (struct expr_val){.kind = EXPR_V_NUM, .num = (double)env->now_ms};
		return 0;
	case EXPR_FN_LEN:
		if (args[0].kind == EXPR_V_NUM) {
			char tmp[40];

			*res = (struct expr_val){
			    .kind = EXPR_V_NUM,
			    .num = (double)expr_format_number(args[0].num, tmp, sizeof(tmp))};
		} else {
			*res = (struct expr_val){.kind = EXPR_V_NUM, .num = (double)args[0].len};
		}
		return 0;
	case EXPR_FN_URLENCODE:
		return fn_urlencode(&args[0], scratch, res, err);
	default:
		return err_set(err, "bad function");
	}
}

/* Leveled logging to stderr. The macros test the level before evaluating their arguments, so a
 * disabled debug line costs one comparison. Nothing on a per-request path logs: it counts. */
#ifndef BARRAGE_COMMON_LOG_H
#define BARRAGE_COMMON_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int log_level;

/* Program name printed before each line ("barrage", "barrage-agent", ...). */
void log_set_prefix(const char *prefix);
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define LOG_AT(lvl, ...)                                                                           \
	do {                                                                                       \
		if ((lvl) <= log_level)                                                            \
			log_write((lvl), __VA_ARGS__);                                             \
	} while (0)
#define log_error(...) LOG_AT(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_WARN, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_INFO, __VA_ARGS__)
#define log_debug(...) LOG_AT(LOG_DEBUG, __VA_ARGS__)

/* Log "WHAT: ERR" as an error and _exit(1) at once, without unwinding: for a state that must
 * not go on (a server's journal that failed while memory is ahead of disk). */
void log_fatal(const char *what, const char *err) __attribute__((noreturn));

#endif

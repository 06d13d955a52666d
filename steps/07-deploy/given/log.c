/*
 * log.c: given, don't edit; no need to read it either (log.h says what it
 * does). The logger.
 *
 * Each line is formatted into a buffer on the stack and written with one
 * fputs under the logger's lock, so lines from handler threads never mix.
 */
#include "log.h"

#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const NAMES[] = {"debug", "info", "warn", "error"};

void logger_init(logger *lg, FILE *out, log_level min, const char *replica)
{
    lg->out = out;
    lg->min = min;
    lg->replica = replica != NULL ? replica : "";
    pthread_mutex_init(&lg->mu, NULL);
}

void logger_destroy(logger *lg)
{
    pthread_mutex_destroy(&lg->mu);
}

bool log_enabled(const logger *lg, log_level level)
{
    return level >= lg->min;
}

const char *log_level_name(log_level level)
{
    return level >= LOG_LEVEL_DEBUG && level <= LOG_LEVEL_ERROR ? NAMES[level]
                                                                : "error";
}

bool log_level_parse(const char *s, log_level *out)
{
    for (int i = LOG_LEVEL_DEBUG; i <= LOG_LEVEL_ERROR; i++) {
        if (strcasecmp(s, NAMES[i]) == 0) {
            *out = (log_level)i;
            return true;
        }
    }
    return false;
}

const char *log_quote(char *buf, size_t cap, const char *s)
{
    size_t n = 0;
    buf[n++] = '"';
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[5];
        if (c == '"' || c == '\\')
            snprintf(esc, sizeof esc, "\\%c", c);
        else if (c == '\n')
            strcpy(esc, "\\n");
        else if (c == '\r')
            strcpy(esc, "\\r");
        else if (c == '\t')
            strcpy(esc, "\\t");
        else if (c < 0x20 || c == 0x7f)
            snprintf(esc, sizeof esc, "\\x%02x", c);
        else
            snprintf(esc, sizeof esc, "%c", c);
        size_t k = strlen(esc);
        if (n + k + 2 > cap) /* room for the closing quote and the NUL */
            break;
        memcpy(buf + n, esc, k);
        n += k;
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

void log_line(logger *lg, log_level level, const char *fmt, ...)
{
    if (!log_enabled(lg, level))
        return;
    char line[2048];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s "
                     "replica=%s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, (int)(now.tv_nsec / 1000000),
                     log_level_name(level), lg->replica);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    /* Inside a traced call (exercise 9), the trace it belongs to. */
    cg_span_context sc;
    if (cg_span_current_context(&sc)) {
        size_t used = strlen(line);
        snprintf(line + used, sizeof line - used - 1, " trace_id=%s",
                 sc.trace_id);
    }
    strcat(line, "\n"); /* both snprintf calls left a byte for it */
    pthread_mutex_lock(&lg->mu);
    fputs(line, lg->out);
    fflush(lg->out);
    pthread_mutex_unlock(&lg->mu);
}

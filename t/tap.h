/*
 * tap.h: a tiny Test Anything Protocol emitter for the C unit tests.
 *
 * plan(n) or done_testing() at the end; ok(cond, fmt, ...), is_int(got,
 * expected, name), is_str(got, expected, name), diag(fmt, ...).  Failures
 * print the expected and actual values as TAP comments; exit_status()
 * (what done_testing() returns) is nonzero when any test failed or the
 * count does not match the plan, so prove and make check see it.
 * Header-only: every function is static.
 */

#ifndef FEAT_TAP_H
#define FEAT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int  tap_planned = -1;
static int  tap_run;
static int  tap_failed;

#if defined(__GNUC__)
#define TAP_PRINTF(f, a)  __attribute__((format(printf, f, a)))
#define TAP_UNUSED        __attribute__((unused))
#else
#define TAP_PRINTF(f, a)
#define TAP_UNUSED
#endif

static void plan(int n) TAP_UNUSED;
static int ok_at(int cond, const char *file, int line, const char *fmt, ...)
    TAP_PRINTF(4, 5) TAP_UNUSED;
static void diag(const char *fmt, ...) TAP_PRINTF(1, 2) TAP_UNUSED;


static void
plan(int n)
{
    tap_planned = n;
    printf("1..%d\n", n);
    fflush(stdout);
}


static void
diag(const char *fmt, ...)
{
    va_list  ap;

    fflush(stdout);
    printf("# ");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}


/* fmt is the caller's checked format, passed on: say so to clang. */
static int
tap_vok(int cond, const char *file, int line, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static int
tap_vok(int cond, const char *file, int line, const char *fmt, va_list ap)
{
    tap_run++;
    printf("%s %d - ", cond ? "ok" : "not ok", tap_run);
    vprintf(fmt, ap);
    printf("\n");

    if (!cond) {
        tap_failed++;
        printf("#   Failed test at %s line %d.\n", file, line);
    }

    fflush(stdout);
    return cond;
}


static int
ok_at(int cond, const char *file, int line, const char *fmt, ...)
{
    va_list  ap;
    int      rc;

    va_start(ap, fmt);
    rc = tap_vok(cond, file, line, fmt, ap);
    va_end(ap);

    return rc;
}


static TAP_UNUSED int
is_int_at(long long got, long long want, const char *file, int line,
    const char *name)
{
    if (!ok_at(got == want, file, line, "%s", name)) {
        printf("#          got: %lld\n#     expected: %lld\n", got, want);
    }

    return got == want;
}


static TAP_UNUSED int
is_str_at(const char *got, const char *want, const char *file, int line,
    const char *name)
{
    int  same;

    same = (got == NULL && want == NULL)
           || (got != NULL && want != NULL && strcmp(got, want) == 0);

    if (!ok_at(same, file, line, "%s", name)) {
        printf("#          got: %s%s%s\n#     expected: %s%s%s\n",
               got ? "'" : "", got ? got : "NULL", got ? "'" : "",
               want ? "'" : "", want ? want : "NULL", want ? "'" : "");
    }

    return same;
}


static TAP_UNUSED int
exit_status(void)
{
    if (tap_failed > 0) {
        return 1;
    }

    if (tap_planned >= 0 && tap_planned != tap_run) {
        printf("# planned %d tests but ran %d\n", tap_planned, tap_run);
        return 1;
    }

    return 0;
}


/* Ends a run without a plan: prints it, answers the exit status. */
static TAP_UNUSED int
done_testing(void)
{
    if (tap_planned < 0) {
        printf("1..%d\n", tap_run);
        tap_planned = tap_run;
    }

    if (tap_failed > 0) {
        printf("# failed %d of %d tests\n", tap_failed, tap_run);
    }

    fflush(stdout);
    return exit_status();
}

#define ok(cond, ...)          ok_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(got, want, nm)  is_int_at((got), (want), __FILE__, __LINE__, nm)
#define is_str(got, want, nm)  is_str_at((got), (want), __FILE__, __LINE__, nm)

#endif /* FEAT_TAP_H */

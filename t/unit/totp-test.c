/*
 * totp-test.c: the console's one-time codes (modules/admin/managers.c):
 * HOTP against RFC 4226 Appendix D, TOTP with SHA-1 against RFC 6238
 * Appendix B (8 digits, 30 s steps), the 6-digit codes the console takes,
 * and what a login may be.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "runtime.h"
#include "admin/admin.h"
#include "../tap.h"

/* RFC 4226 Appendix D and RFC 6238 Appendix B: the SHA-1 seed */
static const unsigned char  seed[] = "12345678901234567890";


static void
test_hotp(void)
{
    int                         i;
    static const unsigned long  want[10] = {
        755224, 287082, 359152, 969429, 338314,
        254676, 287922, 162583, 399871, 520489
    };

    for (i = 0; i < 10; i++) {
        ok(feat_admin_hotp(seed, 20, (uint64_t) i, 6) == want[i],
           "RFC 4226 HOTP count %d", i);
    }
}


static void
test_totp(void)
{
    size_t  i;
    static const struct {
        long long      t;
        unsigned long  code;
    } v[] = {
        { 59LL, 94287082 },
        { 1111111109LL, 7081804 },
        { 1111111111LL, 14050471 },
        { 1234567890LL, 89005924 },
        { 2000000000LL, 69279037 },
        { 20000000000LL, 65353130 },
    };

    for (i = 0; i < FEAT_NELEMS(v); i++) {
        ok(feat_admin_hotp(seed, 20, (uint64_t) (v[i].t / 30), 8)
           == v[i].code, "RFC 6238 SHA-1 at T = %lld", v[i].t);
        /* 6 digits: the same truncation, modulo 10^6 */
        ok(feat_admin_hotp(seed, 20, (uint64_t) (v[i].t / 30), 6)
           == v[i].code % 1000000, "6 digits at T = %lld", v[i].t);
    }
}


static void
test_logins(void)
{
    ok(feat_admin_login_ok("ops"), "3 characters");
    ok(feat_admin_login_ok("a.b-c_d9"), "dots, dashes, underscores, digits");
    ok(!feat_admin_login_ok("ab"), "2 characters refused");
    ok(!feat_admin_login_ok("Ops"), "upper case refused");
    ok(!feat_admin_login_ok("o ps"), "a blank refused");
    ok(!feat_admin_login_ok("运维"), "other letters refused");
    ok(feat_admin_login_ok("0123456789012345678901234567890123456789"
                           "012345678901234567890123"), "64 characters");
    ok(!feat_admin_login_ok("0123456789012345678901234567890123456789"
                            "0123456789012345678901234"),
       "65 characters refused");
}


int
main(void)
{
    test_hotp();
    test_totp();
    test_logins();

    return done_testing();
}

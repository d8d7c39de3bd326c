#!/usr/bin/perl

# 10-query-secrets.t: credentials in query strings (issue 12, finding 6).
# v2 and feat take passwords, codes, tokens and secrets only in the body
# or in Authorization: a query string naming one (any spelling: password,
# old_password, Password, code, vcode, refresh_token, client_secret...) is
# refused before any handler runs, as v2 10005 or feat 400 invalid naming
# the parameter, and nothing happens (no session, no user, no code spent).
# v1's seeded query routes keep theirs; other query arguments still work;
# no log records the values.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my ($st, $h, $j);

my $P = '13800000091';
my $pw = 'Qs3cret' . join('', map { int(rand(10)) } 1 .. 8);
my $reg = $t->register_v2($P, $pw);
my $uid = $t->db_value('SELECT id FROM users WHERE phone = ?', $P);

sub sessions {
    return $t->db_value('SELECT count(*) FROM sessions WHERE user_id = ?',
        $uid);
}

my $n = sessions();

# ---- v2 ----------------------------------------------------------------------

($st, $h, $j) = $t->post("/api/auth/access_token?account=$P&password=$pw",
    {});
is($j->{code}, 10005,
    'v2 access_token with account and password in the URL: 10005');
($st, $h, $j) = $t->post("/api/auth/access_token?password=$pw",
    { account => $P });
is($j->{code}, 10005, '... the password alone in the URL: 10005');
($st, $h, $j) = $t->post("/api/auth/access_token?Password=$pw",
    { account => $P, password => $pw });
is($j->{code}, 10005, '... "Password" in the URL, whatever the body: 10005');
is(sessions(), $n, '... no session made');

($st, $h, $j) = $t->post('/api/auth/refresh_token?refresh_token='
    . $reg->{refresh_token}, {});
is($j->{code}, 10005, 'v2 refresh_token in the URL: 10005');
is(sessions(), $n, '... no session made or rotated');

($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13800000092' });
is($j->{code}, 0, 'a code sent to a new phone');
my $code = $t->code_for('13800000092');
($st, $h, $j) = $t->post("/api/auth/register?code=$code&password=$pw",
    { account => '13800000092' });
is($j->{code}, 10005, 'v2 register with code and password in the URL: 10005');
is($t->db_value(q{SELECT count(*) FROM users WHERE phone = '13800000092'}),
    0, '... no user');
($st, $h, $j) = $t->post("/api/auth/register?verify_code=$code",
    { account => '13800000092', code => $code, password => $pw });
is($j->{code}, 10005, '... verify_code in the URL: 10005');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000092', code => $code, password => $pw });
is($j->{code}, 0, '... the code was not spent: the same in the body registers');

($st, $h, $j) = $t->get('/api/personal/info?new_password=x',
    { -token => $reg->{access_token} });
is($j->{code}, 10005, 'v2 GET with new_password in the URL: 10005');

($st, $h, $j) = $t->get('/api/feedback?page_no=1&page_size=5',
    { -token => $reg->{access_token} });
is($j->{code}, 0, 'v2 paging arguments in the URL still work');

# ---- feat --------------------------------------------------------------------

($st, $h, $j) = $t->post("/api/auth/login/?phone=$P&password=$pw", {});
is($st, 400, 'feat login/ with the password in the URL: 400');
is($j->{code}, 'invalid', '... invalid');
ok(exists $j->{errors}{password}, '... naming password');
is(sessions(), $n + 0, '... no session made');

($st, $h, $j) = $t->post('/api/auth/login/', { phone => $P, password => $pw });
is($st, 200, 'feat login/ with the password in the body: 200');
my $refresh = $j->{data}{refresh_token};
$n = sessions();

($st, $h, $j) = $t->post("/api/auth/refresh/?refresh_token=$refresh", {});
is($st, 400, 'feat refresh/ with the token in the URL: 400');
ok(exists $j->{errors}{refresh_token}, '... naming refresh_token');
($st, $h, $j) = $t->post('/api/auth/refresh/', { refresh_token => $refresh });
is($st, 200, '... the token was not used: the body refreshes');

($st, $h, $j) = $t->post('/api/auth/phone/verification/?vcode=123456',
    { phone => $P, form_id => 'login' });
is($st, 400, 'feat phone/verification/ with vcode in the URL: 400');
ok(exists $j->{errors}{vcode}, '... naming vcode');

($st, $h, $j) = $t->get("/api/user/profile/?client_secret=abc",
    { -token => $reg->{access_token} });
is($st, 400, 'feat GET with client_secret in the URL: 400');
($st, $h, $j) = $t->get('/api/user/profile/?old_password=abc',
    { -token => $reg->{access_token} });
is($st, 400, 'feat GET with old_password in the URL: 400');
($st, $h, $j) = $t->get('/api/user/profile/?' . ('x' x 100)
    . 'NewPassword=abc', { -token => $reg->{access_token} });
is($st, 400, 'feat GET with a long name ending in NewPassword: 400');
($st, $h, $j) = $t->get('/api/user/user-image/?page=1&page_size=5',
    { -token => $reg->{access_token} });
is($st, 200, 'feat paging arguments in the URL still work');

# ---- OAuth2 and v1 -----------------------------------------------------------

($st, $h, $j) = $t->post('/o/token/?client_secret=abc',
    'grant_type=password',
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($st, 400, '/o/token/ with a query string: 400');
is($j->{error}, 'invalid_request', '... invalid_request');

($st, $h, $j) = $t->get("/api/get_token?account=$P&password=$pw");
is($j->{code}, 0, 'v1 get_token keeps its seeded query string: 0');

# ---- logs --------------------------------------------------------------------

for my $log (qw(featcgi-access.log nginx-access.log)) {
    my $s = FeatTest::_slurp($t->dir . "/log/$log") // '';
    like($s, qr{/api/auth/access_token}, "$log records the requests");
    unlike($s, qr/\Q$pw\E/, "$log holds no password from a URL");
    unlike($s, qr/\Q$refresh\E/, "$log holds no refresh token from a URL");
}

$t->stop;
done_testing;

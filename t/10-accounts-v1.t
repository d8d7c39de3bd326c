#!/usr/bin/perl

# 10-accounts-v1.t: the v1 account endpoints (seeds/003) through nginx:
# get_token (password, and a code that signs an unknown account up),
# token/check, check/register (and its share of the per-address limit),
# get_verify_code (the code shown only with expose_codes), reset_token,
# user/open and get_token_by_open (bindings, conflicts, open_login, the
# per-address limit), user/reset_password (recent_auth included) and
# /sds_check_token (JWTs and sessions, allow_from, its limit).  One
# account works in v1 and v2 alike.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use File::Path qw(remove_tree);
use FeatTest;
use FeatV1 qw(jwt_sign jwt_payload access_json login_v1 v1_auth);
use Test::More;
use Time::HiRes qw(sleep);

my $t = FeatTest->new('code.resend_interval' => 0, 'code.hourly_limit' => 50,
    'code.daily_limit' => 50, 'code.ip_hourly_limit' => 40,
    'open_login.ip_limit' => 6, 'sds.ip_limit' => 12);
my ($st, $h, $j, $rc, $out, $err);

# ---- check/register ----------------------------------------------------------

($st, $h, $j) = $t->post('/check/register', { account => '13800000001' });
is($st, 200, 'check/register unknown: HTTP 200');
is_deeply($j, { code => 0, message => '' }, '... {"code":0,"message":""}');
$t->register_v2('13800000001', 'v2-password');
($st, $h, $j) = $t->post('/check/register', { account => '13800000001' });
is($j->{code}, 10022, 'registered: 10022');
is_deeply([ sort keys %$j ], [qw(code message)], '... v1 error form');
($st, $h, $j) = $t->post('/check/register', 'account=13800000001',
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($j->{code}, 10022, '... also urlencoded');
($st, $h, $j) = $t->post('/check/register', { account => '1380000' });
is($j->{code}, 10002, 'bad phone: 10002');
($st, $h, $j) = $t->post('/check/register', { account => 'a@b' });
is($j->{code}, 10002, 'bad email: 10002');
($st, $h, $j) = $t->post('/check/register', {});
is($j->{code}, 10012, 'no account: 10012');
($st, $h, $j) = $t->get('/check/register');
is($st, 405, 'GET: 405');

# ---- get_verify_code ------------------------------------------------------------

($st, $h, $j) = $t->get('/api/get_verify_code?account=13800000002');
is($j->{code}, 0, 'get_verify_code: 0');
like($j->{message}{verify_code}, qr/^\d{6}$/, '... the code (expose_codes on)');
is($j->{message}{verify_code}, $t->code_for('13800000002'),
    '... the one delivered');
is($t->db_value(q{SELECT purpose FROM codes WHERE account = '86:13800000002'
    ORDER BY id DESC LIMIT 1}), 'register', '... purpose register (unknown)');
($st, $h, $j) = $t->get('/api/get_verify_code?account=13800000001');
is($t->db_value(q{SELECT purpose FROM codes WHERE account = '86:13800000001'
    ORDER BY id DESC LIMIT 1}), 'login', 'known account: purpose login');
($st, $h, $j) = $t->get('/api/get_verify_code?account=12');
is($j->{code}, 10002, 'bad account: 10002');
($st, $h, $j) = $t->get('/api/get_verify_code');
is($j->{code}, 10012, 'no account: 10012');

# ---- get_token ---------------------------------------------------------------------

my $code = $t->code_for('13800000002');
($st, $h, $j) = $t->get('/api/get_token?account=13800000002&verify_code='
    . FeatTest::other_code($code));
is($j->{code}, 10004, 'wrong code: 10004');
ok(!$t->db_value(q{SELECT count(*) FROM users WHERE phone = '13800000002'}),
    '... no user made');
($st, $h, $j) = $t->get(
    "/api/get_token?account=13800000002&verify_code=$code");
is($j->{code}, 0, 'code for an unknown account: 0 (signs up)');
is_deeply([ sort keys %{ $j->{message} } ], [ sort qw(token_expire_in token
    refresh_token_expire_in refresh_token permission) ], '... the seed\'s keys');
is($j->{message}{token_expire_in}, 604800, '... token_expire_in');
is($j->{message}{refresh_token_expire_in}, 1209600,
    '... refresh_token_expire_in');
is($j->{message}{permission}, 0, '... permission = role');
my $u2 = $t->db_row(q{SELECT * FROM users WHERE phone = '13800000002'});
ok($u2, '... the user row');
is($u2->{password}, '', '... without a password');
is(jwt_payload($j->{message}{token})->{user_id}, $u2->{id}, '... its id');
($st, $h, $j) = $t->get(
    "/api/get_token?account=13800000002&verify_code=$code");
is($j->{code}, 10004, 'the code again: 10004 (consumed)');

$t->dbh->do(q{UPDATE users SET role = 3 WHERE phone = '13800000001'});
my $v1 = login_v1($t, '13800000001');
is($v1->{permission}, 3, 'code login of a v2 account: permission = role 3');
($st, $h, $j) = $t->get('/api/get_token?account=13800000001'
    . '&password=v2-password');
is($j->{code}, 0, 'password of the v2 account: 0');
is($t->db_value(q{SELECT count(*) FROM sessions WHERE revoked_at IS NULL
    AND user_id = (SELECT id FROM users WHERE phone = '13800000001')}), 1,
    '... opened no live session (only the v2 one is live)');
($st, $h, $j) = $t->get('/api/get_token?account=13800000001&password=wrong-pass');
is($j->{code}, 10003, 'wrong password: 10003');
($st, $h, $j) = $t->get('/api/get_token?account=13800000009&password=whatever1');
is($j->{code}, 10006, 'unknown account: 10006');
($st, $h, $j) = $t->get('/api/get_token?account=13800000001&password=short');
is($j->{code}, 10012, 'too short a password: 10012');
($st, $h, $j) = $t->get('/api/get_token?account=13800000001');
is($j->{code}, 10012, 'neither password nor code: 10012');
($st, $h, $j) = $t->get('/api/get_token?account=1&password=whatever1');
is($j->{code}, 10002, 'bad account: 10002');
($st, $h, $j) = $t->get('/api/get_token?account=13800000002&password=whatever1');
is($j->{code}, 10003, 'password login of a code-only account: 10003');

$t->register_v2('13800000003', 'lock-me-pass');
for (1 .. 5) {
    $t->get('/api/get_token?account=13800000003&password=wrong-pass');
}
($st, $h, $j) = $t->get('/api/get_token?account=13800000003'
    . '&password=lock-me-pass');
is($j->{code}, 10009, 'locked after 5 failures, even the right one: 10009');

# ---- token/check and reset_token ---------------------------------------------------

($st, $h, $j) = $t->post('/api/token/check', { token => $v1->{token} });
is_deeply($j, { code => 0, message => '' }, 'token/check: 0 ""');
($st, $h, $j) = $t->post('/api/token/check', "token=$v1->{token}",
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($j->{code}, 0, '... urlencoded too');
($st, $h, $j) = $t->post('/api/token/check', {});
is($j->{code}, 10021, 'no token: 10021');
($st, $h, $j) = $t->post('/api/token/check', { token => 'a.b.c' });
is($j->{code}, 10001, 'garbage: 10001');
my $uid1 = $t->db_value(q{SELECT id FROM users WHERE phone = '13800000001'});
($st, $h, $j) = $t->post('/api/token/check',
    { token => jwt_sign($t, access_json($uid1, time - 1)) });
is($j->{code}, 10005, 'expired: 10005');
($st, $h, $j) = $t->post('/api/token/check',
    { token => $v1->{refresh_token} });
is($j->{code}, 10001, 'a refresh token: 10001');

($st, $h, $j) = $t->put('/api/reset_token',
    { refresh_token => $v1->{refresh_token} });
is($j->{code}, 0, 'reset_token: 0');
is_deeply([ sort keys %{ $j->{message} } ], [ sort qw(token_expire_in token
    refresh_token_expire_in refresh_token) ], '... the seed\'s keys');
is(jwt_payload($j->{message}{token})->{user_id}, $uid1, '... same user');
($st, $h, $j) = $t->get('/api/user/message', v1_auth($j->{message}{token}));
is($j->{code}, 0, '... the new token works');
($st, $h, $j) = $t->put('/api/reset_token', {});
is($j->{code}, 10021, 'no refresh_token: 10021');
($st, $h, $j) = $t->put('/api/reset_token', { refresh_token => jwt_sign($t,
    access_json($uid1, time - 1, 'refresh_token')) });
is($j->{code}, 10005, 'an expired refresh token: 10005');

# ---- user/open ---------------------------------------------------------------------------

my $auth1 = v1_auth($v1->{token});
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'qq-111', open_type => 1 }, $auth1);
is($j->{code}, 0, 'user/open: 0');
is_deeply($j->{message}, { data => { open_id => 'qq-111', open_type => 1,
    app_id => '', user_id => $uid1 } }, '... the seed\'s answer');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'wx-222', open_type => '2' }, $auth1);
is($j->{code}, 0, 'open_type "2": 0');
ok(!ref($j->{message}{data}{open_type})
    && $j->{message}{data}{open_type} =~ /^2$/, '... answered as 2');
is($t->db_value(q{SELECT count(*) FROM open_bindings WHERE user_id = ?},
    $uid1), 2, '... two bindings');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'qq-333', open_type => 1 }, $auth1);
is($j->{code}, 0, 'a new QQ binding: 0');
is_deeply($t->db_rows(q{SELECT open_type, open_id FROM open_bindings
    WHERE user_id = ? ORDER BY open_type}, $uid1),
    [ { open_type => 1, open_id => 'qq-333' },
      { open_type => 2, open_id => 'wx-222' } ], '... replaced the old one');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'qq-333', open_type => 1 }, $auth1);
is($j->{code}, 0, 'binding the same again: 0');
my $v2b = login_v1($t, '13800000002');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'qq-333', open_type => 1 }, v1_auth($v2b->{token}));
is($j->{code}, 10022, 'a pair bound to another user: 10022');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'qq-333', open_type => 3 }, v1_auth($v2b->{token}));
is($j->{code}, 0, '... the same id under another type: 0');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'x', open_type => 5 }, $auth1);
is($j->{code}, 10012, 'open_type 5: 10012');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'x', open_type => 'qq' }, $auth1);
is($j->{code}, 10012, 'open_type "qq": 10012');
($st, $h, $j) = $t->post('/api/user/open', { open_type => 1 }, $auth1);
is($j->{code}, 10012, 'no open_id: 10012');
($st, $h, $j) = $t->post('/api/user/open',
    { open_id => 'x' x 129, open_type => 1 }, $auth1);
is($j->{code}, 10012, 'a 129-character open_id: 10012');
($st, $h, $j) = $t->post('/api/user/open', { open_id => 'x', open_type => 1 });
is($j->{code}, 10021, 'no token: 10021');

# ---- get_token_by_open ------------------------------------------------------------------

my $by = '/api/get_token_by_open?open_id=qq-333&open_type=1';
($st, $h, $j) = $t->get($by);
is($j->{code}, 10007, 'open_login off: 10007');
# A per-app setting now (sql/0043): seen by the running pool within seconds,
# and until then refused without being counted against the address.
($rc) = $t->featctl('app', 'set', '', 'accounts.open_login=on');
is($rc, 0, 'featctl app set accounts.open_login=on');
$t->wait_for(sub { ($st, $h, $j) = $t->get($by); $j->{code} != 10007 }, 10);
is($j->{code}, 0, 'open_login on: 0');
# every worker has seen it once a second has passed (settings.c)
sleep(1.2);
is_deeply([ sort keys %{ $j->{message} } ], [ sort qw(token_expire_in token
    refresh_token_expire_in refresh_token) ], '... the seed\'s keys');
is(jwt_payload($j->{message}{token})->{user_id}, $uid1, '... the bound user');
($st, $h, $j) = $t->get('/api/get_token_by_open?open_id=nobody&open_type=1');
is($j->{code}, 10006, 'no binding: 10006');
($st, $h, $j) = $t->get('/api/get_token_by_open?open_id=qq-333&open_type=2');
is($j->{code}, 10006, 'the id under another type: 10006');
($st, $h, $j) = $t->get('/api/get_token_by_open?open_id=qq-333');
is($j->{code}, 10012, 'no open_type: 10012');
# Counted so far: the three lookups past the open_login and field checks.
($st, $h, $j) = $t->get($by) for 1 .. 3;
is($j->{code}, 0, 'the 6th from one address (limit 6): 0');
($st, $h, $j) = $t->get($by);
is($j->{code}, 10009, '... the 7th: 10009');

# ---- reset_password ------------------------------------------------------------------------

my $v2s = $t->register_v2('13800000004', 'old-password');
my $v1s = login_v1($t, '13800000004');
($st, $h, $j) = $t->put('/api/user/reset_password', { user_password => '123' },
    v1_auth($v1s->{token}));
is($j->{code}, 10012, 'too short: 10012');
($st, $h, $j) = $t->put('/api/user/reset_password', {},
    v1_auth($v1s->{token}));
is($j->{code}, 10012, 'no user_password: 10012');
($st, $h, $j) = $t->put('/api/user/reset_password',
    { user_password => 'new-password' });
is($j->{code}, 10021, 'no token: 10021');
($st, $h, $j) = $t->put('/api/user/reset_password',
    { user_password => 'new-password' }, { -token => $v2s->{access_token} });
is($j->{code}, 10001, 'a v2 session: 10001');
($st, $h, $j) = $t->put('/api/user/reset_password',
    { user_password => 'new-password' }, v1_auth($v1s->{token}));
is_deeply($j, { code => 0, message => 'reset_password success' },
    'reset_password: the seed\'s answer');
($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $v2s->{access_token} });
is($j->{code}, 10004, '... the v2 session is revoked');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000004', password => 'new-password' });
is($j->{code}, 0, '... v2 logs in with the new password');
($st, $h, $j) = $t->get('/api/get_token?account=13800000004'
    . '&password=old-password');
is($j->{code}, 10003, '... v1 refuses the old one');

# ---- /sds_check_token -----------------------------------------------------------------------

$t->put('/api/user/message', { user_name => '小王' }, v1_auth($v1->{token}));
($st, $h, $j) = $t->get("/sds_check_token?token=$v1->{token}");
is_deeply($j, { code => '1000', msg => '成功', description => '',
    data => { userId => $uid1, userNick => '小王' } },
    'sds_check_token with a JWT: the seed\'s answer');
ok(!ref($j->{data}{userId}) && $j->{data}{userId} =~ /^\d+$/,
    '... userId a number');
($st, $h, $j) = $t->get("/sds_check_token?token=$v2s->{access_token}");
is($j->{code}, '1001', 'a revoked session: 1001');
my $sess = $t->register_v2('13800000005', 'password5');
($st, $h, $j) = $t->get("/sds_check_token?token=$sess->{access_token}");
is($j->{code}, '1000', 'a v2 session token: 1000');
is($j->{data}{userNick}, '13800000005', '... userNick = account');
($st, $h, $j) = $t->get('/sds_check_token?token=nonsense');
is($st, 200, 'an unknown token: HTTP 200');
is($j->{code}, '1001', '... "1001"');
is($j->{description}, '', '... description ""');
is_deeply($j->{data}, {}, '... data {}');
ok(length($j->{msg}), '... a msg');
($st, $h, $j) = $t->get("/sds_check_token?token=$v1->{refresh_token}");
is($j->{code}, '1001', 'a refresh JWT: 1001');
($st, $h, $j) = $t->get('/sds_check_token');
is($j->{code}, '1001', 'no token: 1001');
($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
($st, $h, $j) = $t->get("/sds_check_token?token=$v1->{token}",
    { -app => 'shop' });
is($j->{code}, '1001', 'a JWT of "" in app shop: 1001');
($st, $h, $j) = $t->get("/sds_check_token?token=$sess->{access_token}",
    { -app => 'shop' });
is($j->{code}, '1001', 'a session of "" in app shop: 1001');
# Counted so far in "": six (the limit is 12 a minute).
my @seen;
for (1 .. 7) {
    ($st, $h, $j) = $t->get('/sds_check_token?token=x');
    push @seen, $j->{code};
}
is($seen[-2], '1001', 'the 12th: still answered');
is($seen[-1], '10009', 'the 13th, over sds.ip_limit: "10009"');
my @lines = $t->log_lines('nginx-access.log');
ok(@lines && !grep({ /token=|password=|verify_code=|open_id=/ } @lines),
    'no query string in nginx\'s access log');
my @acc = $t->log_lines('featcgi-access.log');
ok(@acc && !grep({ /token=|password=|verify_code=|open_id=/ } @acc),
    '... nor in featcgi\'s');
ok(scalar(grep { m{/api/get_token_by_open} } @acc)
    && scalar(grep { m{/sds_check_token} } @acc),
    '... which logged those requests, by path');

# ---- recent_auth, allow_from, expose_codes off, no provider -------------------------------------

$t->stop;
$t = FeatTest->new('reset_password.recent_auth' => 'on',
    'sds.allow_from' => '10.0.0.0/8, 2001:db8::/32', expose_codes => 'off',
    'mail.provider' => undef);
$v1 = login_v1($t, '13800000006');
ok($t->code_for('13800000006'), 'expose_codes off: the code still sent');
($st, $h, $j) = $t->get('/api/get_verify_code?account=13800000007');
is_deeply($j, { code => 0, message => { verify_code => '' } },
    '... answered as ""');
($st, $h, $j) = $t->get('/api/get_verify_code?account=a@example.com');
is($j->{code}, 10000, 'no mail provider: 10000');
($st, $h, $j) = $t->get('/api/get_verify_code?account=13800000007');
is($j->{code}, 10009, 'again within a minute: 10009');
my $uid6 = $t->db_value(q{SELECT id FROM users WHERE phone = '13800000006'});
($st, $h, $j) = $t->put('/api/user/reset_password',
    { user_password => 'new-password' }, v1_auth(jwt_sign($t,
    access_json($uid6, time + 604800 - 700))));
is($j->{code}, 10007, 'recent_auth: a JWT 700 s old: 10007');
($st, $h, $j) = $t->put('/api/user/reset_password',
    { user_password => 'new-password' }, v1_auth($v1->{token}));
is($j->{code}, 0, '... a fresh one: 0');
($st, $h, $j) = $t->get("/sds_check_token?token=$v1->{token}");
is($j->{code}, '10007', 'an address outside sds.allow_from: "10007"');
is($j->{description}, '', '... in the sds form');
$t->stop;

# ---- allow_from: CIDR lists (the tests' client is 127.0.0.1) ---------------------

for my $c ([ '127.0.0.0/31', 1 ], [ '127.0.0.2/31', 0 ],
    [ '127.0.0.1', 1 ], [ '127.0.0.1/32', 1 ], [ '127.0.0.128/25', 0 ],
    [ '::1,127.1.0.0/16 127.0.0.0/24', 1 ], [ '2001:db8::/32 ::1', 0 ],
    [ '0.0.0.0/0', 1 ], [ '::ffff:0:0/96', 0 ])
{
    $t = FeatTest->new('sds.allow_from' => $c->[0]);
    ($st, $h, $j) = $t->get('/sds_check_token?token=x');
    is($j->{code}, $c->[1] ? '1001' : '10007',
        "allow_from \"$c->[0]\": " . ($c->[1] ? 'answered' : 'refused'));
    $t->stop;
}

for my $bad ('127.0.0.0/33', '::1/129', '127.0.0.1/', 'localhost',
    '127.0.0.1/8x', '1.2.3')
{
    $t = FeatTest->new('sds.allow_from' => $bad, -no_start => 1,
        -allow_log => [ qr/sds\.allow_from|init_master failed|not started/ ]);
    ok(!eval { $t->start; 1 }, "allow_from \"$bad\": featcgi refuses to start");
    my $dir = $t->dir;
    $t->stop;
    # a failed start keeps its temp dir for a post-mortem; this one is meant
    remove_tree($dir) if Test::More->builder->is_passing;
}

done_testing;

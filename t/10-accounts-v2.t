#!/usr/bin/perl

# 10-accounts-v2.t: the v2 account endpoints of seeds/004 through nginx:
# send_code, check_code, register, access_token (password and code),
# refresh_token (rotation, grace, reuse), destroy_token, and a disabled
# user.  Every answer is checked with the database state behind it.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use FeatTest qw(other_code);
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'login.ip_max_failures' => 1000);
my ($st, $h, $j, $code, $row);

sub codes_of {
    my ($tt, $key) = @_;

    return $tt->db_rows('SELECT * FROM codes WHERE account = ? ORDER BY id',
        $key);
}

# ---- send_code --------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13800000001' });
is($st, 200, 'send_code: 200');
is_deeply($j, { code => 0, message => 'success', data => {} },
    'send_code: the seed answer');
$code = $t->code_for('13800000001');
like($code // '', qr/^\d{6}$/, 'a 6-digit code went to the provider');
my $codes = codes_of($t, '86:13800000001');
is(scalar(@$codes), 1, 'one code row');
is($codes->[0]{purpose}, 'register', '... purpose register (unknown account)');
is($codes->[0]{app_id}, '', '... in the default app');
like($codes->[0]{code_hmac}, qr/^[0-9a-f]{64}$/, '... stored as an HMAC');
ok(!grep({ defined && /\b$code\b/ } values %{ $codes->[0] }),
    '... the code itself is stored nowhere');
ok(!defined $codes->[0]{consumed_at}, '... not consumed');

for my $bad ('1380000000', '138000000011', '23800000001', 'abc', '',
    'a@', '@b.com', 'a b@c.com', 'x@nodot')
{
    ($st, $h, $j) = $t->post('/api/auth/send_code', { account => $bad });
    is($j->{code}, 10005, "send_code '$bad': 10005");
}
($st, $h, $j) = $t->post('/api/auth/send_code',
    { account => '13800000009', area => '86x' });
is($j->{code}, 10005, 'send_code with a bad area: 10005');
($st, $h, $j) = $t->post('/api/auth/send_code',
    { account => '13800000009', purpose => 'other' });
is($j->{code}, 10005, 'send_code with a bad purpose: 10005');
is($t->db_value(q{SELECT count(*) FROM codes WHERE account <> '86:13800000001'}),
    0, 'no code stored for a bad request');

($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13800000001' });
is($j->{code}, 10010, 'send_code again within the resend interval: 10010');
is(scalar(@{ codes_of($t, '86:13800000001') }), 1, '... no new code row');
is($t->code_for('13800000001'), $code, '... nothing sent');

# form-urlencoded is accepted by v2 as well
($st, $h, $j) = $t->post('/api/auth/send_code', 'account=13800000002&area=86',
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($j->{code}, 0, 'send_code as a form: 0');

# email
($st, $h, $j) = $t->post('/api/auth/send_code',
    { account => 'Someone@Example.COM' });
is($j->{code}, 0, 'send_code to an email: 0');
like($t->code_for('someone@example.com') // '', qr/^\d{6}$/,
    '... a code went to the lower-cased address');
is(scalar(@{ codes_of($t, 'someone@example.com') }), 1,
    '... stored under the lower-cased address');

# ---- check_code -------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/check_code',
    { account => '13800000001', code => $code });
is_deeply($j, { code => 0, message => 'success', data => {} },
    'check_code with the right code: 0');
($st, $h, $j) = $t->post('/api/auth/check_code',
    { account => '13800000001', code => $code });
is($j->{code}, 0, 'check_code does not consume');
my $wrong = other_code($code);
($st, $h, $j) = $t->post('/api/auth/check_code',
    { account => '13800000001', code => $wrong });
is($j->{code}, 10008, 'check_code with a wrong code: 10008');
($st, $h, $j) = $t->post('/api/auth/check_code',
    { account => '13800000003', code => '123456' });
is($j->{code}, 10008, 'check_code without a code sent: 10008');
($st, $h, $j) = $t->post('/api/auth/check_code', { account => '13800000001' });
is($j->{code}, 10005, 'check_code without code: 10005');

# ---- register ---------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000001', code => $wrong, password => 'secret123' });
is($j->{code}, 10008, 'register with a wrong code: 10008');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000001', code => $code, password => '12345' });
is($j->{code}, 10005, 'register with a 5-character password: 10005');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000001', code => $code, password => 'x' x 129 });
is($j->{code}, 10005, 'register with a 129-character password: 10005');
is($t->db_value('SELECT count(*) FROM users'), 0, 'no user yet');

($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000001', code => $code, password => '密码secret' });
is($st, 200, 'register: 200');
is($j->{code}, 0, 'register: 0');
my $reg = $j->{data};
like($reg->{access_token} // '', qr/^[0-9A-Za-z]{50}$/, 'access_token: 50 base62');
like($reg->{refresh_token} // '', qr/^[0-9A-Za-z]{50}$/,
    'refresh_token: 50 base62');
isnt($reg->{access_token}, $reg->{refresh_token}, 'two different tokens');
is($reg->{expires_in}, 604800, 'expires_in 604800');
like($reg->{expires_at} // '', qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    'expires_at in the v2 form');

my $user = $t->db_row(q{SELECT * FROM users WHERE app_id = '' AND phone = ?},
    '13800000001');
ok($user, 'user row exists');
is($user->{area}, '86', '... area 86');
is($user->{username}, '13800000001', '... username is the phone');
is($user->{is_active}, 1, '... active');
like($user->{password}, qr/^\$scrypt\$ln=\d+,r=\d+,p=\d+\$/,
    '... password stored as $scrypt$');
unlike($user->{password}, qr/secret/, '... not in clear');
like($user->{openid}, qr/^[0-9A-Za-z]{40}$/, '... a 40-char openid');

my $sess = $t->db_rows('SELECT * FROM sessions WHERE user_id = ?', $user->{id});
is(scalar(@$sess), 1, 'one session');
is($sess->[0]{access_hash}, sha256_hex($reg->{access_token}),
    '... access token stored as SHA-256 hex');
is($sess->[0]{refresh_hash}, sha256_hex($reg->{refresh_token}),
    '... refresh token stored as SHA-256 hex');
is($sess->[0]{access_expires} - $sess->[0]{created_at}, 604800,
    '... access lifetime 604800');
ok(!grep({ defined && (index($_, $reg->{access_token}) >= 0
    || index($_, $reg->{refresh_token}) >= 0) }
    map { values %$_ } @{ $t->db_rows('SELECT * FROM sessions') }),
    '... no token in clear in any session row');
ok(defined codes_of($t, '86:13800000001')->[0]{consumed_at},
    'the code is consumed');

($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $reg->{access_token} });
is($j->{code}, 0, 'the new access token works');
is($j->{data}{id}, $user->{id}, '... for the new user');

($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000001', code => $code, password => 'secret123' });
is($j->{code}, 10009, 'register again: 10009');
is($t->db_value(q{SELECT count(*) FROM users WHERE phone = '13800000001'}), 1,
    'still one user');

# The code of the second account was used by nobody: register with it,
# then it is spent.
my $code2 = $t->code_for('13800000002');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000002', code => $code2, password => 'secret222' });
is($j->{code}, 0, 'register a second account: 0');
($st, $h, $j) = $t->post('/api/auth/check_code', { account => '13800000002',
    code => $code2, purpose => 'register' });
is($j->{code}, 10008, '... its code is consumed');

# Email account
($st, $h, $j) = $t->post('/api/auth/register',
    { account => 'SOMEONE@example.com',
      code => $t->code_for('someone@example.com'), password => 'mailpass1' });
is($j->{code}, 0, 'register by email: 0');
$row = $t->db_row(q{SELECT * FROM users WHERE email = 'someone@example.com'});
ok($row, '... user row by email');
is($row->{phone}, '', '... no phone');
is($row->{username}, 'someone@example.com', '... username is the email');

# ---- attempts burn a code ---------------------------------------------------

$t->post('/api/auth/send_code', { account => '13800000004' });
my $c4 = $t->code_for('13800000004');
my $w4 = other_code($c4);
for my $n (1 .. 5) {
    ($st, $h, $j) = $t->post('/api/auth/check_code',
        { account => '13800000004', code => $w4 });
    is($j->{code}, 10008, "wrong try $n: 10008");
}
($st, $h, $j) = $t->post('/api/auth/check_code',
    { account => '13800000004', code => $c4 });
is($j->{code}, 10008, 'after 5 wrong tries the right code fails too');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13800000004', code => $c4, password => 'secret444' });
is($j->{code}, 10008, '... and cannot register');
cmp_ok(codes_of($t, '86:13800000004')->[-1]{attempts}, '>=', 5,
    '... attempts recorded');
is($t->db_value(q{SELECT count(*) FROM users WHERE phone = '13800000004'}), 0,
    '... no user');

# ---- access_token -------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001', password => '密码secret' });
is($j->{code}, 0, 'access_token with the password: 0');
like($j->{data}{access_token} // '', qr/^[0-9A-Za-z]{50}$/, '... a token');
is($j->{data}{expires_in}, 604800, '... expires_in');
is($t->db_value('SELECT count(*) FROM sessions WHERE user_id = ?',
    $user->{id}), 2, '... a second session');
ok($t->db_value('SELECT count(*) FROM sessions WHERE access_hash = ?',
    sha256_hex($j->{data}{access_token})), '... stored by hash');

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13900000000', password => 'whatever1' });
is($j->{code}, 10006, 'access_token for an unknown account: 10006');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001', password => 'wrongpass' });
is($j->{code}, 10007, 'wrong password: 10007');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001' });
is($j->{code}, 10005, 'neither password nor code: 10005');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001', password => '密码secret' });
is($j->{code}, 0, 'a success after one failure');

# lockout on the second account
for my $n (1 .. 5) {
    ($st, $h, $j) = $t->post('/api/auth/access_token',
        { account => '13800000002', password => "wrong$n-pass" });
    is($j->{code}, 10007, "wrong password $n: 10007");
}
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000002', password => 'secret222' });
is($j->{code}, 10100, 'after 5 failures even the right password: 10100');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001', password => '密码secret' });
is($j->{code}, 0, '... another account is not locked');

# ---- destroy_token ------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001', password => '密码secret' });
my $dt = $j->{data}{access_token};
($st, $h, $j) = $t->post('/api/auth/destroy_token', undef, { -token => $dt });
is_deeply($j, { code => 0, message => 'success', data => {} },
    'destroy_token: 0');
ok(defined $t->db_value('SELECT revoked_at FROM sessions WHERE access_hash = ?',
    sha256_hex($dt)), '... session revoked');
($st, $h, $j) = $t->get('/api/personal/info', { -token => $dt });
is($j->{code}, 10004, '... the token then answers 10004');
($st, $h, $j) = $t->post('/api/auth/destroy_token', undef, { -token => $dt });
is($j->{code}, 10004, '... also on destroy_token');
($st, $h, $j) = $t->post('/api/auth/destroy_token');
is($j->{code}, 10004, 'destroy_token without a token: 10004');
($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $reg->{access_token} });
is($j->{code}, 0, 'the other sessions live on');

# ---- a disabled user ---------------------------------------------------------

my ($rc, $out, $err) = $t->featctl('user', 'disable', $user->{id});
is($rc, 0, 'featctl user disable: exit 0') or diag($err);
is($t->db_value('SELECT is_active FROM users WHERE id = ?', $user->{id}), 0,
    '... is_active 0');
($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $reg->{access_token} });
is($j->{code}, 10004, '... an existing token: 10004');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001', password => '密码secret' });
is($j->{code}, 10003, '... login: 10003');
($rc, $out, $err) = $t->featctl('user', 'enable', $user->{id});
is($rc, 0, 'featctl user enable: exit 0') or diag($err);
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13800000001', password => '密码secret' });
is($j->{code}, 0, '... login works again');

$t->stop;

# ---- hourly and per-IP send limits -------------------------------------------

my $t2 = FeatTest->new('code.resend_interval' => 0,
    'code.ip_hourly_limit' => 1000);
for my $n (1 .. 5) {
    ($st, $h, $j) = $t2->post('/api/auth/send_code', { account => '13800000005' });
    is($j->{code}, 0, "resend interval 0: send $n: 0");
}
($st, $h, $j) = $t2->post('/api/auth/send_code', { account => '13800000005' });
is($j->{code}, 10010, 'the 6th send within the hour: 10010');
is(scalar(@{ codes_of($t2, '86:13800000005') }), 5, '... five code rows');
my $sent = grep { /to=8613800000005\b/ } $t2->log_lines('../sms.log');
is($sent, 5, '... five sent');

# An existing account with a fresh register code still cannot register.
my $r5 = $t2->register_v2('13800000006', 'secret666');
($st, $h, $j) = $t2->post('/api/auth/send_code',
    { account => '13800000006', purpose => 'register' });
is($j->{code}, 0, 'send_code purpose register for a registered account: 0');
($st, $h, $j) = $t2->post('/api/auth/register', { account => '13800000006',
    code => $t2->code_for('13800000006'), password => 'secret123' });
is($j->{code}, 10009, 'register an existing account with a valid code: 10009');
is($t2->db_value(q{SELECT count(*) FROM users WHERE phone = '13800000006'}), 1,
    '... still one user');

# The email account registers here too, then logs in by code.
$t2->register_v2('someone@example.com', 'mailpass1');
# login by code (our extension), consumed
($st, $h, $j) = $t2->post('/api/auth/send_code', { account => 'someone@example.com' });
is($j->{code}, 0, 'send_code to a registered email: 0');
is(codes_of($t2, 'someone@example.com')->[-1]{purpose}, 'login',
    '... purpose login');
my $lc = $t2->code_for('someone@example.com');
($st, $h, $j) = $t2->post('/api/auth/access_token',
    { account => 'someone@example.com', code => $lc });
is($j->{code}, 0, 'access_token with a code: 0');
like($j->{data}{access_token} // '', qr/^[0-9A-Za-z]{50}$/, '... a token');
ok(defined codes_of($t2, 'someone@example.com')->[-1]{consumed_at},
    '... the code is consumed');
($st, $h, $j) = $t2->post('/api/auth/access_token',
    { account => 'someone@example.com', code => $lc });
is($j->{code}, 10008, '... and does not work twice');
($st, $h, $j) = $t2->post('/api/auth/access_token',
    { account => '13900000001', code => '123456' });
is($j->{code}, 10006, 'code login of an unknown account: 10006');
is($t2->db_value(q{SELECT count(*) FROM users WHERE phone = '13900000001'}), 0,
    '... no implicit sign-up');

$t2->stop;

my $t3 = FeatTest->new('code.ip_hourly_limit' => 3);
for my $n (1 .. 3) {
    ($st, $h, $j) = $t3->post('/api/auth/send_code',
        { account => "1380000010$n" });
    is($j->{code}, 0, "per-IP limit 3: account $n: 0");
}
($st, $h, $j) = $t3->post('/api/auth/send_code', { account => '13800000109' });
is($j->{code}, 10010, 'a 4th account from the same IP: 10010');
is($t3->db_value(q{SELECT count(*) FROM codes WHERE account = '86:13800000109'}),
    0, '... no code row');
is($t3->code_for('13800000109'), undef, '... nothing sent');
$t3->stop;

# ---- refresh_token: rotation, grace, reuse ------------------------------------

my $t4 = FeatTest->new('session.grace' => 1);
my $r0 = $t4->register_v2('13800000201', 'secret201');
my $sid = $t4->db_value('SELECT id FROM sessions WHERE access_hash = ?',
    sha256_hex($r0->{access_token}));

($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => $r0->{refresh_token} });
is($j->{code}, 0, 'refresh_token: 0');
my $r1 = $j->{data};
like($r1->{access_token} // '', qr/^[0-9A-Za-z]{50}$/, '... new access token');
like($r1->{refresh_token} // '', qr/^[0-9A-Za-z]{50}$/, '... new refresh token');
isnt($r1->{access_token}, $r0->{access_token}, '... access rotated');
isnt($r1->{refresh_token}, $r0->{refresh_token}, '... refresh rotated');
is($r1->{expires_in}, 604800, '... expires_in');
$row = $t4->db_row('SELECT * FROM sessions WHERE id = ?', $sid);
is($row->{access_hash}, sha256_hex($r1->{access_token}),
    '... the same session row holds the new access hash');
is($row->{refresh_hash}, sha256_hex($r1->{refresh_token}),
    '... and the new refresh hash');
ok($t4->db_value('SELECT count(*) FROM session_rotated WHERE refresh_hash = ?',
    sha256_hex($r0->{refresh_token})), '... the old refresh is remembered');

($st, $h, $j) = $t4->get('/api/personal/info', { -token => $r0->{access_token} });
is($j->{code}, 10004, 'the old access token is dead');
($st, $h, $j) = $t4->get('/api/personal/info', { -token => $r1->{access_token} });
is($j->{code}, 0, 'the new access token works');

($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => $r0->{refresh_token} });
is($j->{code}, 0, 'the old refresh token again within the grace: 0');
is($j->{data}{access_token}, $r1->{access_token}, '... the same access token');
is($j->{data}{refresh_token}, $r1->{refresh_token}, '... the same refresh token');
($st, $h, $j) = $t4->get('/api/personal/info', { -token => $r1->{access_token} });
is($j->{code}, 0, '... which still works');

($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => 'x' x 50 });
is($j->{code}, 10004, 'an unknown refresh token: 10004');
($st, $h, $j) = $t4->post('/api/auth/refresh_token', {});
is($j->{code}, 10005, 'no refresh token: 10005');

sleep(2.2);
($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => $r0->{refresh_token} });
is($j->{code}, 10004, 'the old refresh token after the grace: 10004');
ok(defined $t4->db_value('SELECT revoked_at FROM sessions WHERE id = ?', $sid),
    '... the family is revoked');
($st, $h, $j) = $t4->get('/api/personal/info', { -token => $r1->{access_token} });
is($j->{code}, 10004, '... the new access token is dead too');
($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => $r1->{refresh_token} });
is($j->{code}, 10004, '... and the new refresh token');

# A refresh chain: each rotation works, and a stale one (after the grace)
# revokes the family that rotated further.
($st, $h, $j) = $t4->post('/api/auth/access_token',
    { account => '13800000201', password => 'secret201' });
my $c0 = $j->{data};
($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => $c0->{refresh_token} });
my $c1 = $j->{data};
($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => $c1->{refresh_token} });
is($j->{code}, 0, 'a second rotation: 0');
my $c2 = $j->{data};
($st, $h, $j) = $t4->post('/api/auth/refresh_token',
    { refresh_token => $c0->{refresh_token} });
is($j->{code}, 10004, 'a token two rotations old, even within the grace: 10004');
($st, $h, $j) = $t4->get('/api/personal/info', { -token => $c2->{access_token} });
is($j->{code}, 10004, '... revokes the family');
$t4->stop;

done_testing;

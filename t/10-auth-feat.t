#!/usr/bin/perl

# 10-auth-feat.t: the feat dialect's phone sign-up (vcode, verification,
# register with a permit token), the deprecated login/ with its RFC 9745
# headers, refresh/ rotation with its grace and reuse rules, the lockout,
# and scope refusals on a feat route.  Every answer is checked with the
# rows behind it.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use FeatTest qw(other_code);
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'code.resend_interval' => 0, 'login.ip_max_failures' => 1000);
my ($st, $h, $j, $code, $row, $permit);

my $P1 = '13900000001';
my $P2 = '13900000002';

sub field_error {
    my ($label, $field) = @_;

    is($st, 400, "$label: 400");
    is($j->{code}, 'invalid', "$label: code invalid");
    ok(ref($j->{errors}) eq 'HASH' && ref($j->{errors}{$field}) eq 'ARRAY',
        "$label: errors.$field");
}

sub session_ok {
    my ($label, $status) = @_;

    is($st, $status // 200, "$label: " . ($status // 200));
    is_deeply([ sort keys %{ $j->{data} // {} } ],
        [qw(expires_in key refresh_token uid)], "$label: a session answer");
    like($j->{data}{key} // '', qr/^[0-9A-Za-z]{50}$/, "$label: key");
    like($j->{data}{refresh_token} // '', qr/^[0-9A-Za-z]{50}$/,
        "$label: refresh_token");
    is($j->{data}{expires_in}, 604800, "$label: expires_in");
    ok(!ref($j->{data}{uid}) && ($j->{data}{uid} // '') =~ /^\d+$/,
        "$label: uid an integer");
    is($h->{'cache-control'}, 'no-store', "$label: Cache-Control no-store");
}

sub session_row {
    my ($key) = @_;

    return $t->db_row('SELECT * FROM sessions WHERE access_hash = ?',
        sha256_hex($key));
}

# ---- step 1: vcode ----------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => $P1, form_id => 'register' });
is($st, 200, 'vcode register: 200');
is_deeply($j, { data => {} }, 'vcode: {"data":{}}');
$code = $t->code_for($P1);
like($code // '', qr/^\d{6}$/, 'vcode: a code went out');
is($t->db_value('SELECT purpose FROM codes WHERE account = ?', "86:$P1"),
    'register', 'vcode: purpose register');

($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => '1234', form_id => 'register' });
field_error('vcode with a bad phone', 'phone');
($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => 'a@b.com', form_id => 'register' });
field_error('vcode with an email', 'phone');
($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => $P1, form_id => 'reset' });
field_error('vcode with a bad form_id', 'form_id');
($st, $h, $j) = $t->post('/api/auth/phone/vcode/', { phone => $P1 });
field_error('vcode without form_id', 'form_id');
($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => $P2, form_id => 'login' });
is($st, 404, 'vcode login for an unknown phone: 404');
is($j->{code}, 'not_registered', '... not_registered');
($st, $h, $j) = $t->post('/api/auth/phone/vcode/', 'phone=1',
    { 'Content-Type' => 'text/plain' });
is($st, 415, 'vcode with a text body: 415');
is($j->{code}, 'unsupported_media_type', '... unsupported_media_type');

# ---- step 2: verification ---------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => $P1, vcode => other_code($code), form_id => 'register' });
field_error('verification with a wrong code', 'vcode');
is($t->db_value('SELECT attempts FROM codes WHERE account = ?', "86:$P1"), 1,
    '... the attempt is counted');
ok(!$t->db_value('SELECT count(*) FROM permits'), '... no permit');

($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => $P1, vcode => $code });
field_error('verification without form_id', 'form_id');

($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => $P1, vcode => $code, form_id => 'register' });
is($st, 200, 'verification register: 200');
is_deeply([ keys %{ $j->{data} } ], ['permit_token'],
    'verification: {"data":{"permit_token"}}');
$permit = $j->{data}{permit_token} // '';
like($permit, qr/^[0-9A-Za-z]{40}$/, '... a 40-character permit');
$row = $t->db_row('SELECT * FROM permits');
is($row->{token_hash}, sha256_hex($permit), '... stored as its SHA-256');
is($row->{account}, "86:$P1", '... tied to the phone');
is($row->{app_id}, '', '... and the app');
is($row->{expires_at} - $row->{created_at}, 1800, '... for 30 minutes');
ok(!defined $row->{used_at}, '... unused');
ok(defined $t->db_value('SELECT consumed_at FROM codes WHERE account = ?',
    "86:$P1"), '... the code is consumed');

($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => $P1, vcode => $code, form_id => 'register' });
field_error('verification with the spent code', 'vcode');

# ---- step 3: register -------------------------------------------------------

my %reg = (phone => $P1, password => 'secret-1', permit_token => $permit);

for my $case ([ 'without a permit', { %reg, permit_token => undef } ],
    [ 'with an empty permit', { %reg, permit_token => '' } ],
    [ 'with a wrong permit', { %reg, permit_token => 'x' x 40 } ],
    [ 'with the permit of another phone', { %reg, phone => $P2 } ])
{
    my %b = %{ $case->[1] };
    delete $b{permit_token} if !defined $b{permit_token};
    ($st, $h, $j) = $t->post('/api/auth/register/', \%b);
    is($st, 400, "register $case->[0]: 400");
    is($j->{code}, 'invalid_permit_token', '... invalid_permit_token');
}
($st, $h, $j) = $t->post('/api/auth/register/', { %reg, password => '123' });
field_error('register with a short password', 'password');
($st, $h, $j) = $t->post('/api/auth/register/',
    { %reg, nickname => 'n' x 33 });
field_error('register with a long nickname', 'nickname');
ok(!$t->db_value('SELECT count(*) FROM users'), 'no user yet');
ok(!defined $t->db_value('SELECT used_at FROM permits'),
    '... and the permit is unused');

($st, $h, $j) = $t->post('/api/auth/register/', { %reg, nickname => '小明' });
session_ok('register', 201);
my $uid = $j->{data}{uid};
my $key1 = $j->{data}{key};
$row = $t->db_row('SELECT * FROM users WHERE id = ?', $uid);
is($row->{phone}, $P1, 'register: the user row');
is($row->{nickname}, '小明', '... with the nickname');
like($row->{password}, qr/^\$scrypt\$/, '... and a hashed password');
$row = session_row($key1);
is($row->{user_id}, $uid, '... the session is the user\'s');
is($row->{scope}, 'read write', '... with the app\'s default scopes');
ok(defined $t->db_value('SELECT used_at FROM permits'), '... permit used');

# issue 12: the permit is checked before the phone, so a used permit
# answers invalid_permit_token even though its phone has registered since
($st, $h, $j) = $t->post('/api/auth/register/', \%reg);
is($st, 400, 'register again with the used permit: 400');
is($j->{code}, 'invalid_permit_token', '... invalid_permit_token');
is($t->db_value('SELECT count(*) FROM users WHERE phone = ?', $P1), 1,
    '... and no second user');
# a good permit (staged: issued before the phone registered) still meets
# the registered phone: 409, the permit left unspent
$t->dbh->do(q{INSERT INTO permits (app_id, account, token_hash, created_at,
    expires_at) VALUES ('', ?, ?, 1, 9999999999)}, undef, "86:$P1",
    sha256_hex('V' x 40));
($st, $h, $j) = $t->post('/api/auth/register/',
    { %reg, permit_token => 'V' x 40 });
is($st, 409, 'a good permit for a registered phone: 409');
is($j->{code}, 'already_registered', '... already_registered');
ok(!defined $t->db_value('SELECT used_at FROM permits WHERE token_hash = ?',
    sha256_hex('V' x 40)), '... the permit unspent');

# a used and an expired permit for a phone that is still free (staged rows)
$t->dbh->do(q{INSERT INTO permits (app_id, account, token_hash, created_at,
    expires_at, used_at) VALUES ('', ?, ?, 1, 9999999999, 2)}, undef,
    "86:$P2", sha256_hex('U' x 40));
$t->dbh->do(q{INSERT INTO permits (app_id, account, token_hash, created_at,
    expires_at) VALUES ('', ?, ?, 1, 2)}, undef, "86:$P2",
    sha256_hex('E' x 40));
for my $p ([ 'used', 'U' x 40 ], [ 'expired', 'E' x 40 ]) {
    ($st, $h, $j) = $t->post('/api/auth/register/',
        { phone => $P2, password => 'secret-2', permit_token => $p->[1] });
    is($j->{code}, 'invalid_permit_token', "register with a $p->[0] permit: "
        . 'invalid_permit_token');
}

# the order matters: register before verification is refused
($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => $P1, form_id => 'register' });
is($st, 409, 'vcode register for a registered phone: 409');
is($j->{code}, 'already_registered', '... already_registered');

# ---- the key works on feat and v2 routes ------------------------------------

($st, $h, $j) = $t->get('/api/user/profile/',
    { Authorization => "Bearer $key1" });
is($st, 200, 'profile with Bearer key: 200');
is($j->{data}{nickname}, '小明', '... the registered nickname');
($st, $h, $j) = $t->get('/api/user/profile/', { -token => $key1 });
is($st, 200, 'profile with Token key: 200');

# ---- login by code ----------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => $P1, form_id => 'login' });
is($st, 200, 'vcode login for a registered phone: 200');
$code = $t->code_for($P1);
($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => $P1, vcode => other_code($code), form_id => 'login' });
field_error('verification login with a wrong code', 'vcode');
($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => $P1, vcode => $code, form_id => 'login' });
session_ok('verification login');
is($j->{data}{uid}, $uid, '... the same uid');
($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => $P2, vcode => '123456', form_id => 'login' });
is($st, 404, 'verification login for an unknown phone: 404 not_registered');

# ---- login/ (deprecated) ----------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/login/',
    { phone => $P1, password => 'secret-1' });
session_ok('login');
is($h->{deprecation}, '@1704067200', 'login: Deprecation: @<unix time>');
like($h->{link} // '', qr{^<https://[^>]+/o/token/>; rel="successor-version"$},
    'login: Link to /o/token/ as successor-version');
my $key2 = $j->{data}{key};
my $refresh2 = $j->{data}{refresh_token};

($st, $h, $j) = $t->post('/api/auth/login/',
    { phone => $P2, password => 'secret-1' });
is($st, 404, 'login of an unknown phone: 404');
is($j->{code}, 'not_registered', '... not_registered');
is($h->{deprecation}, '@1704067200', '... with the Deprecation header too');
($st, $h, $j) = $t->post('/api/auth/login/', { phone => $P1 });
field_error('login without a password', 'password');

for my $i (1 .. 5) {
    ($st, $h, $j) = $t->post('/api/auth/login/',
        { phone => $P1, password => 'wrong-pass' });
}
is($st, 400, 'login with a wrong password: 400');
is($j->{code}, 'invalid', '... invalid');
($st, $h, $j) = $t->post('/api/auth/login/',
    { phone => $P1, password => 'secret-1' });
is($st, 429, 'login after 5 failures, right password: 429');
is($j->{code}, 'throttled', '... throttled');
like($h->{'retry-after'} // '', qr/^\d+$/, '... with Retry-After');
$t->dbh->do(q{DELETE FROM rate_events WHERE bucket LIKE 'login_fail%'});

# ---- refresh/ ---------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/refresh/', { refresh_token => $refresh2 });
session_ok('refresh');
my $key3 = $j->{data}{key};
my $refresh3 = $j->{data}{refresh_token};
isnt($key3, $key2, '... a new key');
is(session_row($key3)->{id}, $t->db_value(
    'SELECT session_id FROM session_rotated WHERE refresh_hash = ?',
    sha256_hex($refresh2)), '... the same session, the old token filed');
($st, $h, $j) = $t->get('/api/user/profile/', { -token => $key2 });
is($st, 401, 'the old key: 401');
($st, $h, $j) = $t->post('/api/auth/refresh/', { refresh_token => $refresh2 });
is($st, 200, 'the old refresh token within the grace: 200');
is($j->{data}{key}, $key3, '... the same pair again');
$t->dbh->do('UPDATE session_rotated SET rotated_at = rotated_at - 100');
($st, $h, $j) = $t->post('/api/auth/refresh/', { refresh_token => $refresh2 });
is($st, 401, 'the old refresh token after the grace: 401');
is($j->{code}, 'authentication_failed', '... authentication_failed');
ok(defined session_row($key3)->{revoked_at}, '... the family is revoked');
($st, $h, $j) = $t->post('/api/auth/refresh/', { refresh_token => $refresh3 });
is($st, 401, '... so its current refresh token fails too');
($st, $h, $j) = $t->post('/api/auth/refresh/', {});
field_error('refresh without a token', 'refresh_token');

# ---- scopes on a feat route -------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/login/',
    { phone => $P1, password => 'secret-1' });
my $key4 = $j->{data}{key};
$t->dbh->do('UPDATE sessions SET scope = ? WHERE access_hash = ?', undef,
    'read', sha256_hex($key4));
($st, $h, $j) = $t->get('/api/user/profile/', { -token => $key4 });
is($st, 200, 'scope read: GET profile 200');
($st, $h, $j) = $t->patch('/api/user/profile/', { nickname => 'x' },
    { -token => $key4 });
is($st, 403, 'scope read: PATCH profile 403');
is($j->{code}, 'insufficient_scope', '... insufficient_scope');
$t->dbh->do('UPDATE sessions SET scope = ? WHERE access_hash = ?', undef,
    'write', sha256_hex($key4));
($st, $h, $j) = $t->get('/api/user/profile/', { -token => $key4 });
is($j->{code}, 'insufficient_scope', 'scope write: GET profile 403');
($st, $h, $j) = $t->patch('/api/user/profile/', { nickname => 'x' },
    { -token => $key4 });
is($st, 200, 'scope write: PATCH profile 200');

$t->stop;
done_testing;

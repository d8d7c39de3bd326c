#!/usr/bin/perl

# t/20-audit.t: the audit log (issue 12).  Each security event the API
# and featctl cause appears once, with its app, user, action, detail,
# client address and actor: sign-up, login (password, code, open id),
# failed login, lockout, password change, refresh-token reuse, session
# revoked (v2 and OAuth2), binding added and removed, account deleted,
# and a featctl command that changed data (by the operator's Unix user;
# one that changed nothing, or only read, writes none).  "featctl audit"
# filters by user, time and action; the jobs process prunes events older
# than audit.retention_days.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatTest;
use JSON::PP;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'code.resend_interval' => 0, 'login.ip_max_failures' => 1000,
    'login.max_failures' => 3, 'session.grace' => 0, 'jobs.interval' => 1,
    'audit.retention_days' => 30);
my ($st, $h, $j);
my $JSON = JSON::PP->new;
my $operator = scalar getpwuid($<);

sub api { return FeatAdmin::api($t, @_) }

# The audit rows of an action (and user, when given), oldest first.
sub events {
    my ($action, $user) = @_;

    return $t->db_rows('SELECT * FROM audit WHERE action = ?'
        . (defined $user ? ' AND user_id IS ?' : '') . ' ORDER BY id',
        $action, defined $user ? ($user) : ());
}

# One event of action for user with the detail given, from a request.
sub one_event {
    my ($label, $action, $user, $detail, $actor) = @_;
    my $rows = events($action, $user);

    is(scalar @$rows, 1, "$label: one $action event");
    my $r = $rows->[0] // {};
    is($r->{app_id}, '', "$label: app");
    is_deeply($JSON->decode($r->{detail} // '{}'), $detail,
        "$label: detail");
    is($r->{actor}, $actor // 'user', "$label: actor");
    is($r->{address}, defined $actor ? '' : '127.0.0.1', "$label: address");
    ok($r->{at} && abs($r->{at} - time) < 600, "$label: time");
}

# ---- sign-up, logins ----------------------------------------------------------

my $u = FeatAdmin::user($t, '13600000001');
one_event('sign-up', 'signup', $u->{id}, { account => 'phone' });

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13600000001', password => 'secret-pw-1' });
is($j->{code}, 0, 'a password login');
one_event('password login', 'login', $u->{id}, { method => 'password' });
my $refresh = $j->{data}{refresh_token};

($st, $h, $j) = $t->post('/api/auth/send_code',
    { account => '13600000001', purpose => 'login' });
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13600000001', code => $t->code_for('13600000001') });
is($j->{code}, 0, 'a code login');
is(scalar @{ events('login', $u->{id}) }, 2, 'code login: a second login');
is_deeply($JSON->decode(events('login', $u->{id})->[1]{detail}),
    { method => 'code' }, 'code login: detail');

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13600000009', password => 'secret-pw-1' });
is($j->{code}, 10006, 'an unknown account');
one_event('unknown account', 'login_failed', undef,
    { reason => 'not_registered' });

# ---- failures and the lockout -----------------------------------------------------

my $v = FeatAdmin::user($t, '13600000002');
for my $n (1 .. 3) {
    ($st, $h, $j) = $t->post('/api/auth/access_token',
        { account => '13600000002', password => 'wrong-pw-1' });
    is(scalar @{ events('lockout', $v->{id}) }, $n == 3 ? 1 : 0,
        "wrong password $n: " . ($n == 3 ? 'the lockout recorded'
                                          : 'no lockout yet'));
}
is(scalar @{ events('login_failed', $v->{id}) }, 3,
    'three login_failed events');
is_deeply($JSON->decode(events('login_failed', $v->{id})->[0]{detail}),
    { reason => 'wrong_password' }, '... wrong_password');
is_deeply($JSON->decode(events('lockout', $v->{id})->[0]{detail}),
    { failures => 3, window => 900 }, 'lockout: detail');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13600000002', password => 'secret-pw-1' });
is($j->{code}, 10100, 'the right password while locked: 10100');
is(scalar @{ events('login', $v->{id}) }, 0, '... no login recorded');
is(scalar @{ events('lockout', $v->{id}) }, 1, '... nor a second lockout');

# ---- password change (v1 reset_password) ------------------------------------------

($st, $h, $j) = $t->get('/api/get_token?account=13600000001'
    . '&password=secret-pw-1');
my $jwt = $j->{message}{token};
is(scalar @{ events('login', $u->{id}) }, 3, 'a v1 password login: login');
($st, $h, $j) = $t->put('/api/user/reset_password',
    { user_password => 'secret-pw-2' }, { Authorization => $jwt });
is($j->{code}, 0, 'v1 reset_password: 0');
one_event('password change', 'password_change', $u->{id},
    { kept_session => 0 });

# ---- bindings ---------------------------------------------------------------------

($st, $h, $j) = $t->get('/api/get_token?account=13600000001'
    . '&password=secret-pw-2');
$jwt = $j->{message}{token};
($st, $h, $j) = $t->post('/api/user/open', { open_id => 'qq-1',
    open_type => 2 }, { Authorization => $jwt });
is($j->{code}, 0, 'an open-id binding');
one_event('open binding', 'binding_added', $u->{id},
    { kind => 'open', open_type => 2 });
($st, $h, $j) = $t->post('/api/user/open', { open_id => 'qq-1',
    open_type => 2 }, { Authorization => $jwt });
is(scalar @{ events('binding_added', $u->{id}) }, 1,
    '... binding it again records nothing');

$t->dbh->do(q{INSERT INTO alipay_binding (app_id, user_id, alipay_user_id,
    created_at, updated_at) VALUES ('', ?, '2088000001', 1, 1)}, undef,
    $u->{id});
my $w = FeatAdmin::user($t, '13600000003');
$t->dbh->do(q{INSERT INTO alipay_binding (app_id, user_id, alipay_user_id,
    created_at, updated_at) VALUES ('', ?, '2088000003', 1, 1)}, undef,
    $w->{id});
($st, $h, $j) = $t->delete('/api/user/profile/alipay-binding/', undef,
    { -token => $w->{token} });
is($st, 204, 'the Alipay binding removed');
one_event('Alipay unbinding', 'binding_removed', $w->{id},
    { kind => 'alipay' });

# ---- sessions: reuse, revocation ---------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13600000003', password => 'secret-pw-1' });
$refresh = $j->{data}{refresh_token};
my $sid = $t->db_value('SELECT max(id) FROM sessions WHERE user_id = ?',
    $w->{id});
($st, $h, $j) = $t->post('/api/auth/refresh_token',
    { refresh_token => $refresh });
is($j->{code}, 0, 'a refresh');
is(scalar @{ events('refresh_reuse') }, 0, '... no reuse yet');
sleep(1);       # past session.grace = 0
($st, $h, $j) = $t->post('/api/auth/refresh_token',
    { refresh_token => $refresh });
is($j->{code}, 10004, 'the rotated token again: 10004');
one_event('reuse', 'refresh_reuse', $w->{id},
    { session => $sid, client => 0 });

$j = api($w, 'POST', '/api/auth/destroy_token');
is($j->{code}, 0, 'destroy_token: 0');
my $wsid = $t->db_value('SELECT id FROM sessions WHERE user_id = ?'
    . ' ORDER BY id LIMIT 1', $w->{id});
one_event('logout', 'session_revoked', $w->{id}, { session => $wsid });

# ---- deletion -------------------------------------------------------------------------

$j = api($w, 'POST', '/api/personal/delete', { password => 'secret-pw-1' });
is($j->{code}, 10004, 'a revoked token cannot delete');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13600000003', password => 'secret-pw-1' });
$j = api({ token => $j->{data}{access_token}, app => '' }, 'POST',
    '/api/personal/delete', { password => 'secret-pw-1' });
is($j->{code}, 0, 'W deletes its account');
one_event('deletion', 'account_deleted', $w->{id},
    { proof => 'password', images => 0 });

# ---- featctl ----------------------------------------------------------------------------

my $before = $t->db_value('SELECT count(*) FROM audit');
FeatAdmin::ctl_ok($t, 'user', 'list');
FeatAdmin::ctl_ok($t, 'user', 'show', $u->{id});
is($t->db_value('SELECT count(*) FROM audit'), $before,
    'featctl user list and show record nothing');
my ($rc) = $t->featctl('user', 'role', 99999, 1);
is($rc, 1, 'featctl user role of nobody: exit 1');
is($t->db_value('SELECT count(*) FROM audit'), $before,
    '... records nothing (nothing changed)');

FeatAdmin::ctl_ok($t, 'user', 'role', $u->{id}, 2);
one_event('featctl user role', 'featctl', $u->{id},
    { command => 'user role', status => 0 }, $operator);
FeatAdmin::ctl_ok($t, 'faq', 'add', '--title', 'T', '--content', 'C');
is_deeply($JSON->decode(events('featctl')->[-1]{detail}),
    { command => 'faq add', status => 0 }, 'featctl faq add: recorded');
is(events('featctl')->[-1]{actor}, $operator, '... by the operator');
is(events('featctl')->[-1]{user_id}, undef, '... about no user');

# ---- featctl audit ----------------------------------------------------------------------

my $list = FeatAdmin::ctl_ok($t, 'audit', '--user', $u->{id});
is_deeply([ map { $_->{action} } @$list ], [ 'featctl', 'binding_added',
    'login', 'password_change', 'login', 'login', 'login', 'signup' ],
    'featctl audit --user: the user\'s events, newest first');
is($list->[0]{actor}, $operator, '... with the actor');
is_deeply($list->[0]{detail}, { command => 'user role', status => 0 },
    '... and the detail as JSON');
$list = FeatAdmin::ctl_ok($t, 'audit', '--action', 'lockout');
is(scalar @$list, 1, 'featctl audit --action lockout: one');
is($list->[0]{user_id}, $v->{id}, '... V\'s');
$list = FeatAdmin::ctl_ok($t, 'audit', '--since', time + 3600);
is_deeply($list, [], 'featctl audit --since the future: none');
$list = FeatAdmin::ctl_ok($t, 'audit', '--since', '1d', '--limit', 2);
is(scalar @$list, 2, '--since 1d --limit 2: two');
($rc) = $t->featctl('audit', '--since', 'yesterday');
is($rc, 1, 'a bad --since: exit 1');
my ($rc2, $text) = $t->featctl('audit', '--action', 'signup');
is($rc2, 0, 'featctl audit as text: exit 0');
like($text, qr/^ID\s+TIME\s+APP\s+USER\s+ACTION/m, '... a table');

# ---- pruning -----------------------------------------------------------------------------

$t->dbh->do(q{INSERT INTO audit (at, app_id, user_id, action, detail)
    VALUES (?, '', NULL, 'old', '{}')}, undef, time - 31 * 86400);
$t->dbh->do(q{INSERT INTO audit (at, app_id, user_id, action, detail)
    VALUES (?, '', NULL, 'recent', '{}')}, undef, time - 29 * 86400);
ok($t->wait_for(sub {
    !$t->db_value(q{SELECT count(*) FROM audit WHERE action = 'old'}) }),
    'the jobs process prunes an event past audit.retention_days');
is($t->db_value(q{SELECT count(*) FROM audit WHERE action = 'recent'}), 1,
    '... and keeps a younger one');
ok($t->db_value('SELECT count(*) FROM audit') > 10,
    '... and today\'s');

$t->stop;
done_testing;

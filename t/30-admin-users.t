#!/usr/bin/perl

# t/30-admin-users.t: the console's users, settings and audit endpoints
# (issue 13, featcgi-api(7) "ADMIN API"): the list and the search by phone,
# email and nickname, one user (sessions, bindings), disable, enable,
# revoke, delete with its confirmation, export; the settings (secrets
# never shown, values checked as featctl checks them, all or none, null
# clears); the audit log with its filters and pages.  Each answer, what
# is stored, and the audit row of every action.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatTest;
use JSON::PP;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'code.resend_interval' => 0);
my ($st, $h, $j, $rc, $out, $err);
my $J = JSON::PP->new->canonical;

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'app shop') or diag($err);

my $u1 = FeatAdmin::user($t, '13800000001');
my $u2 = FeatAdmin::user($t, '13900000002');
my $u3 = FeatAdmin::user($t, '13800000003');
my $s1 = FeatAdmin::user($t, '13800000001', 'shop');
$t->dbh->do(q{UPDATE users SET email = 'ann@example.com' WHERE id = ?}, undef,
    $u2->{id});
$j = FeatAdmin::api($t, $u3, 'PUT', '/api/personal/info',
    { nickname => 'Lucky Star' });
is($j->{code}, 0, 'a nickname, through v2');

my $m = $t->admin_login(login => 'desk');             # app ""
my $shop = $t->admin_login(login => 'shopdesk', app => 'shop');

sub audit_rows {
    my ($action, $user) = @_;
    return $t->db_rows('SELECT * FROM audit WHERE action = ?'
        . (defined $user ? ' AND user_id = ?' : '') . ' ORDER BY id',
        $action, defined $user ? ($user) : ());
}

# One audit row of action about user, by the desk, in the default app.
sub audited {
    my ($label, $action, $user, $detail) = @_;
    my $rows = audit_rows($action, $user);

    is(scalar @$rows, 1, "$label: one $action row");
    my $r = $rows->[0] // {};
    is($r->{actor}, "manager:$m->{manager}{id}", "$label: by the manager");
    is($r->{app_id}, '', "$label: in the app");
    is($r->{address}, '127.0.0.1', "$label: from its address");
    is_deeply($J->decode($r->{detail} // '{}'), $detail, "$label: detail")
        if $detail;
}

# ---- the list and the search ----------------------------------------------

($st, $h, $j) = $m->get('/admin/api/apps/~/users');
is($st, 200, 'users: 200');
is($j->{total}, 3, '... the default app\'s three');
is_deeply([ map { $_->{id} } @{ $j->{data} } ],
    [ $u3->{id}, $u2->{id}, $u1->{id} ], '... newest first');
my $row = $j->{data}[2];
is_deeply([ sort keys %$row ], [ sort qw(id area phone email nickname
    disabled created_at last_login_at) ], '... each with its fields');
is($row->{phone}, '13800000001', '... the phone');
is($row->{disabled}, JSON::PP::false, '... not disabled');
like($row->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/,
    '... RFC 3339 times');
ok(defined $row->{last_login_at}, '... the last login (its session)');

($st, $h, $j) = $m->get('/admin/api/apps/~/users?size=2&page=2');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $u1->{id} ],
    'paged: size 2, page 2');
is_deeply([ @$j{qw(total page size)} ], [ 3, 2, 2 ], '... total, page, size');

my %q = ('138' => [ $u3->{id}, $u1->{id} ], '1390' => [ $u2->{id} ],
    'ANN@ex' => [ $u2->{id} ], 'lucky' => [ $u3->{id} ],
    'star' => [ $u3->{id} ], 'zzz' => [], '1381' => []);
for my $q (sort keys %q) {
    ($st, $h, $j) = $m->get("/admin/api/apps/~/users?q=$q");
    is_deeply([ map { $_->{id} } @{ $j->{data} } ], $q{$q},
        "search \"$q\"");
    is($j->{total}, scalar @{ $q{$q} }, '... its total');
}
($st, $h, $j) = $shop->get('/admin/api/apps/shop/users?q=138');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $s1->{id} ],
    'the shop\'s manager finds the shop\'s user only');

# the plans: each search one range of the index its statement names
# (modules/accounts/directory.c; INDEXED BY fails where it cannot serve)
for my $c ([ 'phone', 'users_phone_prefix',
             q{phone <> '' AND phone >= '138' AND phone < '138:'},
             qr/users_phone_prefix \(app_id=\? AND phone>\? AND phone<\?\)/ ],
           [ 'email', 'users_email',
             q{email <> '' AND email >= 'ann' AND email < 'anz'},
             qr/users_email \(app_id=\? AND email>\? AND email<\?\)/ ],
           [ 'nickname', 'users_app', q{instr(lower(nickname), 'st') > 0},
             qr/USING INDEX users_app \(app_id=\?\)/ ],
           [ 'all', 'users_app', q{1},
             qr/USING INDEX users_app \(app_id=\?\)/ ])
{
    my ($what, $index, $cond, $want) = @$c;
    my $plan = join("\n", map { $_->[3] } @{ $t->dbh->selectall_arrayref(
        "EXPLAIN QUERY PLAN SELECT id FROM users INDEXED BY $index"
        . " WHERE app_id = '' AND deleted_at IS NULL AND $cond"
        . " ORDER BY id DESC LIMIT 20") });
    like($plan, $want, "the $what search is a range of $index");
}

# ---- one user -------------------------------------------------------------

($st, $h, $j) = $m->get("/admin/api/apps/~/users/$u1->{id}");
is($st, 200, 'one user: 200');
is($j->{data}{phone}, '13800000001', '... its row');
is($j->{data}{sessions}, 1, '... its live sessions');
is_deeply($j->{data}{bindings}, [], '... its bindings');
is($j->{data}{deleted_at}, undef, '... not deleted');
($st, $h, $j) = $m->get("/admin/api/apps/~/users/$s1->{id}");
is($st, 404, 'a user of another app: 404');
($st, $h, $j) = $m->get('/admin/api/apps/~/users/abc');
is($st, 404, 'no id: 404');
is($j->{error}{code}, 'not_found', '... not_found');

# ---- disable, enable, revoke -------------------------------------------------

($st, $h, $j) = $m->post("/admin/api/apps/~/users/$u1->{id}/disable", {});
is($st, 200, 'disable: 200');
is($j->{data}{disabled}, JSON::PP::true, '... the user, disabled');
is($j->{data}{sessions}, 0, '... with no live session');
is($t->db_value('SELECT is_active FROM users WHERE id = ?', $u1->{id}), 0,
    '... stored');
is($t->db_value('SELECT count(*) FROM sessions WHERE user_id = ? AND'
    . ' revoked_at IS NULL', $u1->{id}), 0, '... its sessions revoked');
audited('disable', 'admin.user.disable', $u1->{id},
    { sessions_revoked => 1 });
$j = FeatAdmin::api($t, $u1, 'GET', '/api/personal/info');
isnt($j->{code}, 0, '... its token no longer works');

($st, $h, $j) = $m->post("/admin/api/apps/~/users/$u1->{id}/enable", {});
is($j->{data}{disabled}, JSON::PP::false, 'enable: the user, enabled');
is($t->db_value('SELECT is_active FROM users WHERE id = ?', $u1->{id}), 1,
    '... stored');
audited('enable', 'admin.user.enable', $u1->{id});

(undef, undef, $j) = $t->post('/api/auth/access_token',
    { account => '13900000002', password => 'secret-pw-1' });
is($j->{code}, 0, 'a second session of a user');
($st, $h, $j) = $m->post("/admin/api/apps/~/users/$u2->{id}/revoke", {});
is($st, 200, 'revoke: 200');
is($j->{data}{sessions}, 0, '... no live session left');
is($j->{data}{disabled}, JSON::PP::false, '... the user still enabled');
audited('revoke', 'admin.user.revoke', $u2->{id}, { sessions_revoked => 2 });

($st, $h, $j) = $shop->post("/admin/api/apps/~/users/$u2->{id}/disable", {});
is($st, 404, 'another app\'s manager cannot disable: 404');
is($t->db_value('SELECT is_active FROM users WHERE id = ?', $u2->{id}), 1,
    '... nothing changed');

# ---- export -----------------------------------------------------------------

($st, $h, $j) = $m->get("/admin/api/apps/~/users/$u3->{id}/export");
is($st, 200, 'export: 200');
is($j->{data}{user_id}, $u3->{id}, '... the document of the user');
is($j->{data}{tables}{users}[0]{nickname}, 'Lucky Star',
    '... with its rows');
ok(!exists $j->{data}{tables}{users}[0]{password}, '... no password hash');
my ($crc, $cout) = $t->featctl('user', 'export', $u3->{id});
my $doc = $J->decode($cout);
delete $doc->{exported_at};
delete $j->{data}{exported_at};
# featctl's, made after, also holds the audit row of the console's export
my $later = pop @{ $doc->{tables}{audit} };
is($later->{action}, 'admin.user.export',
    '... featctl\'s export, made after, holds the export\'s audit row');
is_deeply($j->{data}, $doc, '... and the rest is the same document');
audited('export', 'admin.user.export', $u3->{id});

# ---- delete -------------------------------------------------------------------

($st, $h, $j) = $m->delete("/admin/api/apps/~/users/$u3->{id}", {});
is($st, 400, 'delete without confirm: 400');
is($j->{error}{field}, 'confirm', '... naming confirm');
($st, $h, $j) = $m->delete("/admin/api/apps/~/users/$u3->{id}",
    { confirm => "$u1->{id}" });
is($st, 400, 'delete confirming another id: 400');
is($t->db_value('SELECT deleted_at FROM users WHERE id = ?', $u3->{id}),
    undef, '... nothing deleted');
($st, $h, $j) = $m->delete("/admin/api/apps/~/users/$u3->{id}",
    { confirm => "$u3->{id}" });
is($st, 204, 'delete confirmed: 204');
$row = $t->db_row('SELECT * FROM users WHERE id = ?', $u3->{id});
ok($row->{deleted_at}, '... the account erased (a tombstone)');
is($row->{phone}, '', '... its phone gone');
is($row->{nickname}, '', '... its nickname gone');
audited('delete', 'admin.user.delete', $u3->{id});
my $erased = audit_rows('account_deleted', $u3->{id});
is(scalar @$erased, 1, '... the account deletion\'s own record');
is($erased->[0]{actor}, "manager:$m->{manager}{id}", '... by the manager');
($st, $h, $j) = $m->get('/admin/api/apps/~/users');
is($j->{total}, 2, '... no longer listed');
($st, $h, $j) = $m->get("/admin/api/apps/~/users/$u3->{id}");
ok($j->{data}{deleted_at}, '... shown as deleted');
($st, $h, $j) = $m->post("/admin/api/apps/~/users/$u3->{id}/enable", {});
is($st, 404, '... and not acted on');

# ---- settings -----------------------------------------------------------------

($st, $h, $j) = $m->get('/admin/api/apps/~/settings');
is($st, 200, 'settings: 200');
my %set = map { $_->{key} => $_ } @{ $j->{data} };
ok(keys %set > 5, '... every declared setting');
is_deeply([ map { $_->{key} } @{ $j->{data} } ],
    [ sort map { $_->{key} } @{ $j->{data} } ], '... sorted by key');
is($set{'pay.order_ttl'}{value}, 7200, 'an int: its default, a number');
is($set{'pay.order_ttl'}{type}, 'int', '... its type');
is($set{'weixin.key'}{secret}, JSON::PP::true, 'a secret');
is($set{'weixin.key'}{set}, JSON::PP::false, '... not set');
ok(!exists $set{'weixin.key'}{value}, '... and no value member');

($st, $h, $j) = $m->put('/admin/api/apps/~/settings',
    { 'pay.order_ttl' => 3600, 'weixin.key' => 'k' x 32 });
is($st, 200, 'PUT settings: 200');
%set = map { $_->{key} => $_ } @{ $j->{data} };
is($set{'pay.order_ttl'}{value}, 3600, '... the new value');
is($set{'weixin.key'}{set}, JSON::PP::true, '... the secret set');
unlike($J->encode($j), qr/kkkk/, '... and never shown');
is($t->db_value(q{SELECT value FROM app_settings WHERE app_id = ''
    AND key = 'pay.order_ttl'}), '3600', '... stored');
my $sealed = $t->db_row(q{SELECT * FROM app_settings WHERE app_id = ''
    AND key = 'weixin.key'});
ok(!defined $sealed->{value} && length($sealed->{sealed}) > 32,
    '... the secret stored sealed');
my $arow = audit_rows('admin.settings.update');
is(scalar @$arow, 1, '... one admin.settings.update row');
is_deeply($J->decode($arow->[0]{detail}),
    { keys => 'pay.order_ttl weixin.key' }, '... naming the keys only');
($rc, $out, $err) = $t->featctl('app', 'get', '', 'pay.order_ttl');
like($out, qr/3600/, '... featctl app get sees it');

($st, $h, $j) = $m->put('/admin/api/apps/~/settings',
    { 'pay.order_ttl' => 5, 'service.review' => JSON::PP::true });
is($st, 400, 'an out-of-range value: 400');
is($j->{error}{field}, 'pay.order_ttl', '... naming the key');
is($t->db_value(q{SELECT count(*) FROM app_settings WHERE app_id = ''
    AND key = 'service.review'}), 0, '... and nothing stored: all or none');
($st, $h, $j) = $m->put('/admin/api/apps/~/settings', { 'no.such' => 1 });
is($st, 400, 'an unknown key: 400');
is($j->{error}{field}, 'no.such', '... naming it');
($st, $h, $j) = $m->put('/admin/api/apps/~/settings', [ 1 ]);
is($st, 400, 'not an object: 400');
is(scalar @{ audit_rows('admin.settings.update') }, 1,
    '... none of those audited');

($st, $h, $j) = $m->put('/admin/api/apps/~/settings',
    { 'pay.order_ttl' => undef, 'service.review' => JSON::PP::true });
%set = map { $_->{key} => $_ } @{ $j->{data} };
is($set{'pay.order_ttl'}{value}, 7200, 'null clears: the default again');
is($set{'service.review'}{value}, JSON::PP::true, 'a boolean: true');
is($t->db_value(q{SELECT count(*) FROM app_settings WHERE app_id = ''
    AND key = 'pay.order_ttl'}), 0, '... the app\'s own value removed');
is($t->db_value(q{SELECT value FROM app_settings WHERE app_id = ''
    AND key = 'service.review'}), 'on', '... the boolean stored as on');

($st, $h, $j) = $shop->get('/admin/api/apps/shop/settings');
%set = map { $_->{key} => $_ } @{ $j->{data} };
is($set{'weixin.key'}{set}, JSON::PP::false,
    'the shop\'s settings are its own');

# ---- audit --------------------------------------------------------------------

($st, $h, $j) = $m->get('/admin/api/apps/~/audit');
is($st, 200, 'audit: 200');
ok($j->{total} >= 8, '... the app\'s rows');
my @ids = map { $_->{id} } @{ $j->{data} };
is_deeply(\@ids, [ sort { $b <=> $a } @ids ], '... newest first');
my ($first) = grep { $_->{action} eq 'admin.user.revoke' } @{ $j->{data} };
is_deeply([ sort keys %$first ], [ sort qw(id at user_id action detail
    address actor) ], '... each with its fields');
is_deeply($first->{detail}, { sessions_revoked => 2 }, '... the detail');

($st, $h, $j) = $m->get("/admin/api/apps/~/audit?user=$u1->{id}");
is_deeply([ sort map { $_->{action} } @{ $j->{data} } ],
    [ sort qw(signup admin.user.disable admin.user.enable) ],
    'filtered by user')
    or diag($J->encode([ map { $_->{action} } @{ $j->{data} } ]));
($st, $h, $j) = $m->get('/admin/api/apps/~/audit?action=admin.user.');
is_deeply([ sort map { $_->{action} } @{ $j->{data} } ],
    [ sort qw(admin.user.disable admin.user.enable admin.user.revoke
        admin.user.export admin.user.delete) ], 'filtered by action prefix');
($st, $h, $j) = $m->get('/admin/api/apps/~/audit?action=admin.user.&size=2');
is(scalar @{ $j->{data} }, 2, '... a page of 2');
is($j->{total}, 5, '... of 5');
($st, $h, $j) = $m->get('/admin/api/apps/~/audit?to=2000-01-01T00:00:00Z');
is($j->{total}, 0, 'to a time before all: none');
($st, $h, $j) = $m->get('/admin/api/apps/~/audit?from=2000-01-01T08:00:00%2B08:00&action=admin.user.disable');
is($j->{total}, 1, 'from a time with an offset');
($st, $h, $j) = $m->get('/admin/api/apps/~/audit?from=yesterday');
is($st, 400, 'a time that is no RFC 3339: 400');
is($j->{error}{field}, 'from', '... naming it');
($st, $h, $j) = $shop->get('/admin/api/apps/shop/audit');
ok(!grep({ $_->{app_id} // '' eq '' && $_->{action} =~ /^admin\.user/ }
    @{ $j->{data} }), 'the shop\'s audit holds none of the default app\'s');
is(scalar(grep { $_->{action} =~ /^admin\.user/ } @{ $j->{data} }), 0,
    '... no user action of the default app');

$t->stop;
done_testing;

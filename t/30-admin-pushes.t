#!/usr/bin/perl

# 30-admin-pushes.t: the console's pushes (modules/push/admin.c,
# featcgi-api(7) "ADMIN API").  A push composed in the console, to listed
# users and to all, is queued with its outbox rows in the request, then
# delivered by the jobs process to the log provider (push.log_path, the
# fake of t/20-outbox.t: a token "fail-..." fails for good); the list and
# the push's page show the delivery from the outbox (counts and rows).
# Also: the users' v2 push log, bad input (400 with the field, nothing
# queued), another app's users and pushes (404 / 400), the audit row.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatAdmin;
use FeatAdminContent qw(adm);
use FeatTest;
use Test::More;

my $dir = tempdir('feat-admin-push-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$dir/push.log";
my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'push.log_path' => $log, 'push.retry_base' => 20);
is(($t->featctl('app', 'add', 'shop'))[0], 0, 'featctl app add shop');

sub api { return FeatAdmin::api($t, @_) }

sub lines_of {
    my ($push) = @_;
    my @l;

    open(my $fh, '<', $log) or return ();
    while (my $line = <$fh>) {
        my $d = decode_json($line);
        push @l, $d if $d->{push_id} == $push;
    }
    return @l;
}

# Waits until push has no pending or sending row, no fan-out left, and a
# status.
sub settled {
    my ($push) = @_;
    return $t->wait_for(sub {
        !$t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
            . ' status IN (0, 1)', $push)
        && !$t->db_value('SELECT count(*) FROM outbox_fanout WHERE'
            . ' push_id = ?', $push)
        && $t->db_value('SELECT status FROM push WHERE id = ?', $push) });
}

sub bind_client {
    my ($u, $cid) = @_;
    my $j = api($u, 'POST', '/api/push/bind', { client_id => $cid,
        client_type => 'android' });
    die "bind $cid: $j->{code}" if $j->{code} != 0;
}

my $ua = FeatAdmin::user($t, '13500000001');
my $ub = FeatAdmin::user($t, '13500000002');
my $uc = FeatAdmin::user($t, '13500000003');
my $us = FeatAdmin::user($t, '13500000004', 'shop');
bind_client($ua, 'cid-a');
bind_client($ub, 'fail-b');
bind_client($uc, 'cid-c');
bind_client($us, 'cid-s');

my $m = FeatAdminContent::manager($t, 'pusher', app => '');
my $ms = FeatAdminContent::manager($t, 'shoppusher', app => 'shop');
my ($st, $j);

# ---- refusals ------------------------------------------------------------

for my $case ([ { body => 'b', to => 'all' }, 'title', 'no title' ],
    [ { title => '', body => 'b', to => 'all' }, 'title', 'an empty title' ],
    [ { title => 'x' x 101, body => 'b', to => 'all' }, 'title',
      'a title of 101' ],
    [ { title => 't', to => 'all' }, 'body', 'no body' ],
    [ { title => 't', body => 'x' x 2001, to => 'all' }, 'body',
      'a body of 2001' ],
    [ { title => 't', body => 'b' }, 'to', 'no to' ],
    [ { title => 't', body => 'b', to => 'everybody' }, 'to',
      'to a word' ],
    [ { title => 't', body => 'b', to => [] }, 'to', 'to nobody' ],
    [ { title => 't', body => 'b', to => [ 'x' ] }, 'to', 'to a string' ],
    [ { title => 't', body => 'b', to => [ 1.5 ] }, 'to', 'to 1.5' ],
    [ { title => 't', body => 'b', to => [ $ua->{id}, $us->{id} ] }, 'to',
      'to a user of another app' ],
    [ { title => 't', body => 'b', to => [ 999999 ] }, 'to',
      'to no user' ])
{
    ($st, $j) = adm($m, 'POST', '/admin/api/apps/~/pushes', $case->[0]);
    is($st, 400, "a push with $case->[2]: 400");
    is($j->{error}{field}, $case->[1], "... naming $case->[1]");
}
is($t->db_value('SELECT count(*) FROM push'), 0, '... no push stored');
is($t->db_value('SELECT count(*) FROM outbox'), 0, '... no outbox row');
is($t->db_value("SELECT count(*) FROM audit WHERE action LIKE 'admin.push%'"),
    0, '... nothing audited');

($st, $j) = adm($m, 'POST', '/admin/api/apps/~/pushes',
    { title => 't', body => 'b', to => 'all' }, csrf => 0);
is($st, 403, 'a push without the CSRF token: 403');
is($t->db_value('SELECT count(*) FROM push'), 0, '... none stored');

# ---- to listed users -----------------------------------------------------

($st, $j) = adm($m, 'POST', '/admin/api/apps/~/pushes',
    { title => '通知', body => '你好', to => [ $ua->{id}, $ub->{id} ] });
is($st, 201, 'POST pushes to two users: 201');
my $p = $j->{data};
is($p->{title}, '通知', '... title');
is($p->{scope}, 'users', '... scope users');
is($p->{users}, 2, '... two users');
is($p->{manager}{id}, $m->{id}, '... by the manager');
is($p->{manager}{name}, 'pusher', '... with its name');
is($p->{delivery}{queued} + $p->{delivery}{sent} + $p->{delivery}{failed},
    2, '... two deliveries, in the outbox already');
my $row = $t->db_row('SELECT * FROM push WHERE id = ?', $p->{id});
is($row->{manager_id}, $m->{id}, 'stored: the manager\'s push');
is($row->{scope}, 1, '... scope 1');
is($t->db_value('SELECT count(*) FROM push_target WHERE push_id = ?',
    $p->{id}), 2, '... two targets');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ?', $p->{id}),
    2, '... two outbox rows');
my $au = FeatAdminContent::audit($t, 'admin.push.send');
ok($au, 'audited: admin.push.send');
is($au->{actor}, "manager:$m->{id}", '... by the manager');
like($au->{detail}, qr/"push":$p->{id}\b/, '... naming the push');
like($au->{detail}, qr/"users":2\b/, '... to two users');

ok(settled($p->{id}), 'the jobs process delivers it');
my @l = lines_of($p->{id});
is_deeply([ sort map { $_->{token} } @l ], [ 'cid-a', 'fail-b' ],
    '... to both devices (the log provider)');

($st, $j) = adm($m, 'GET', "/admin/api/apps/~/pushes/$p->{id}");
is($st, 200, 'GET pushes/{id}: 200');
is($j->{data}{status}, 'sent', '... sent');
is_deeply($j->{data}{delivery}, { queued => 0, sent => 1, failed => 1,
    skipped => 0, fanout => JSON::PP::false },
    '... one sent, one failed, from the outbox');
is($j->{data}{targets_total}, 2, '... two targets');
my %by = map { $_->{user_id} => $_ } @{ $j->{data}{targets} };
is($by{$ua->{id}}{status}, 'sent', '... A\'s row sent');
is($by{$ua->{id}}{channel}, 'getui', '... on getui');
is($by{$ua->{id}}{attempts}, 1, '... at the first attempt');
like($by{$ua->{id}}{sent_at}, qr/^\d{4}-\d\d-\d\dT/, '... with its time');
is($by{$ub->{id}}{status}, 'failed', '... B\'s row failed');
ok(!defined $by{$ub->{id}}{sent_at}, '... never sent');
isnt($by{$ub->{id}}{last_error}, '', '... with the reason');

($st, $j) = adm($m, 'GET', "/admin/api/apps/~/pushes/$p->{id}?size=1");
is(scalar @{ $j->{data}{targets} }, 1, 'the targets page: size 1');
is($j->{data}{targets_total}, 2, '... of two');

$j = api($ua, 'GET', '/api/push/log');
is($j->{data}{data}[0]{push_title}, '通知', 'A\'s v2 push log shows it');
is(api($uc, 'GET', '/api/push/log')->{data}{total}, 0,
    '... C\'s does not');

# ---- to every user -------------------------------------------------------

($st, $j) = adm($m, 'POST', '/admin/api/apps/~/pushes',
    { title => '全体', body => '', to => 'all' });
is($st, 201, 'POST pushes to all: 201');
my $pa = $j->{data};
is($pa->{scope}, 'all', '... scope all');
is($t->db_value('SELECT scope FROM push WHERE id = ?', $pa->{id}), 0,
    '... stored scope 0');
ok(settled($pa->{id}), 'the jobs process fans it out and delivers it');
is_deeply([ sort map { $_->{token} } lines_of($pa->{id}) ],
    [ 'cid-a', 'cid-c', 'fail-b' ], '... to every device of app ""');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/pushes');
is($st, 200, 'GET pushes: 200');
is($j->{total}, 2, '... two pushes');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $pa->{id}, $p->{id} ],
    '... newest first');
is_deeply($j->{data}[0]{delivery}, { queued => 0, sent => 2, failed => 1,
    skipped => 0, fanout => JSON::PP::false }, '... with its delivery');
is($j->{data}[0]{status}, 'sent', '... sent');
is(api($uc, 'GET', '/api/push/log')->{data}{total}, 1,
    'C\'s v2 push log shows the push to all');

# ---- another app ---------------------------------------------------------

($st, $j) = adm($ms, 'GET', "/admin/api/apps/shop/pushes/$p->{id}");
is($st, 404, 'B\'s manager: A\'s push by B\'s path: 404');
($st, $j) = adm($ms, 'GET', "/admin/api/apps/~/pushes/$p->{id}");
is($st, 404, '... by A\'s: 404');
($st, $j) = adm($ms, 'POST', '/admin/api/apps/~/pushes',
    { title => 't', body => 'b', to => 'all' });
is($st, 404, '... a push to A\'s users: 404');
($st, $j) = adm($ms, 'GET', '/admin/api/apps/shop/pushes');
is($j->{total}, 0, 'B lists none of A\'s');
is($t->db_value('SELECT count(*) FROM push'), 2, 'no push was added');

# ---- a manager of every app ----------------------------------------------

my $all = FeatAdminContent::manager($t, 'chief', all_apps => 1);
($st, $j) = adm($all, 'POST', '/admin/api/apps/shop/pushes',
    { title => 'shop news', body => 'b', to => [ $us->{id} ] });
is($st, 201, 'a manager of every app pushes in shop: 201');
is($t->db_value('SELECT app_id FROM push WHERE id = ?', $j->{data}{id}),
    'shop', '... stored in shop');
ok(settled($j->{data}{id}), '... delivered');
is_deeply([ map { $_->{token} } lines_of($j->{data}{id}) ], [ 'cid-s' ],
    '... to the shop user\'s device');

done_testing;

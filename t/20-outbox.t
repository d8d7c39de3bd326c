#!/usr/bin/perl

# 20-outbox.t: the push outbox (sql/0070_outbox.sql, fcgi/store/outbox.c,
# fcgi/process/delivery.c) with the log provider (push.log_path), which
# appends one JSON line per attempt and answers by the token's prefix:
# retry- transient, fail- permanent, gone- a dead device, slow- late;
# while "<push.log_path>.down" exists every attempt fails for good.
# Devices are bound through the API (v2 push/bind, feat APNs tokens).
# Checked: one row per device with the switch on, fan-out to all users
# and to listed ones, the sandbox flag carried, retries with one
# request_id up to push.max_attempts (per app), permanent failure,
# dropping a dead device, push_status 0 -> 1 / 2 and back to 1 after
# "featctl outbox retry", "outbox list", and a kill -9 of the jobs
# process in the middle of a delivery: every device served, none twice
# under two request ids.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatAdmin;
use FeatTest;
use Test::More;

my $dir = tempdir('feat-outbox-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$dir/push.log";
my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'push.log_path' => $log, 'push.retry_base' => 20);

sub api { return FeatAdmin::api($t, @_) }
sub ctl_ok { return FeatAdmin::ctl_ok($t, @_) }

sub lines { return FeatTest::json_lines($log) }

sub lines_of {
    my ($push) = @_;
    return grep { $_->{push_id} == $push } lines();
}

sub status_of {
    my ($push) = @_;
    return $t->db_value('SELECT status FROM push WHERE id = ?', $push);
}

# Waits until push has no pending or sending row and its fan-out is done.
sub settled {
    my ($push) = @_;
    return $t->wait_for(sub {
        !$t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
            . ' status IN (0, 1)', $push)
        && !$t->db_value('SELECT count(*) FROM outbox_fanout WHERE'
            . ' push_id = ?', $push)
        && status_of($push) != 0 });
}

sub bind_client {
    my ($u, $cid) = @_;
    my $j = api($u, 'POST', '/api/push/bind', { client_id => $cid,
        client_type => 'android' });
    die "bind $cid: $j->{code}" if $j->{code} != 0;
}

my $m = ctl_ok('manager', 'add', 'ops');
my $ua = FeatAdmin::user($t, '13500000001');
my $ub = FeatAdmin::user($t, '13500000002');
my $c = FeatAdmin::user($t, '13500000003');
my $nobody = FeatAdmin::user($t, '13500000004');

bind_client($ua, 'cid-a');
my $tok = 'ab' x 32;
my ($st) = $t->put('/api/user/apns-device-token/',
    { device_token => $tok, sandbox => \1 }, { -token => $ua->{token} });
is($st, 200, 'A registers an APNs sandbox token');
bind_client($ub, 'cid-b-off');
is(api($ub, 'PUT', '/api/push/switch/cid-b-off',
    { switch => JSON::PP::false })->{code}, 0, 'B switches its device off');

# ---- listed users -----------------------------------------------------------

my $p = ctl_ok('push', 'send', '--title', 'T1', '--body', 'B1', '--user',
    "$ua->{id},$ub->{id}", '--manager', $m->{id});
is($p->{push_status}, 0, 'push to A and B: queued');
my $rows = $t->db_rows('SELECT * FROM outbox WHERE push_id = ? ORDER BY'
    . ' channel', $p->{id});
is_deeply([ map { "$_->{channel}:$_->{token}:$_->{sandbox}" } @$rows ],
    [ "apns:$tok:1", 'getui:cid-a:0' ],
    '... one outbox row per device with the switch on, written with it');
like($rows->[0]{request_id},
    qr/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    '... a UUID request id');
ok(settled($p->{id}), '... delivered without waiting for a sweep');
is(status_of($p->{id}), 1, '... push_status 1');
my @l = sort { $a->{channel} cmp $b->{channel} } lines_of($p->{id});
is_deeply([ map { "$_->{channel}:$_->{token}:$_->{attempt}" } @l ],
    [ "apns:$tok:1", 'getui:cid-a:1' ], '... each device once');
ok($l[0]{sandbox}, '... the APNs token\'s sandbox flag carried');
is($l[1]{title}, 'T1', '... with the title');
is($l[0]{request_id}, $rows->[0]{request_id}, '... and the row\'s id');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
    . ' status = 2 AND attempts = 1', $p->{id}), 2, '... rows sent');

my $j = api($ua, 'GET', '/api/push/log');
is($j->{data}{data}[0]{push_status}, 1, 'v2 push/log shows push_status 1');

my ($rc0, $out, $err) = FeatAdmin::ctl($t, 'push', 'send', '--title', 'T2',
    '--body', 'B2', '--user', "$ub->{id},$nobody->{id}", '--manager',
    $m->{id});
is($out->{push_status}, 1, 'nothing deliverable: sent at once');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ?',
    $out->{id}), 0, '... no outbox row');
like($err, qr/push $out->{id}: nothing deliverable, counted as sent: 1 v2 push client switched off$/m,
    '... and the log says why');

# ---- every user ------------------------------------------------------------

bind_client($c, 'cid-c');
$p = ctl_ok('push', 'send', '--title', 'all', '--body', 'all', '--all',
    '--manager', $m->{id});
is($p->{push_status}, 0, 'push to all: queued');
ok(settled($p->{id}), '... fanned out and delivered');
is_deeply([ sort map { $_->{token} } lines_of($p->{id}) ],
    [ sort($tok, 'cid-a', 'cid-c') ], '... to every device with its switch on');
is(status_of($p->{id}), 1, '... push_status 1');

# ---- retries, failures ------------------------------------------------------

ctl_ok('app', 'set', '', 'push.max_attempts=3');
my $r = FeatAdmin::user($t, '13500000005');
bind_client($r, 'retry-r');
$p = ctl_ok('push', 'send', '--title', 'r', '--body', 'r', '--user',
    $r->{id}, '--manager', $m->{id});
ok(settled($p->{id}), 'a transient failure: settled');
my $row = $t->db_row('SELECT * FROM outbox WHERE push_id = ?', $p->{id});
is($row->{status}, 3, '... failed');
is($row->{attempts}, 3, '... after push.max_attempts (the app\'s 3)');
like($row->{last_error}, qr/gave up after 3 attempts/, '... last_error says');
@l = lines_of($p->{id});
is(scalar(@l), 3, '... three attempts reached the provider');
is_deeply([ map { $_->{request_id} } @l ], [ ($row->{request_id}) x 3 ],
    '... all under one request id');
is(status_of($p->{id}), 2, '... push_status 2');

my $g = FeatAdmin::user($t, '13500000006');
bind_client($g, 'gone-g');
bind_client($g, 'fail-g');
$p = ctl_ok('push', 'send', '--title', 'g', '--body', 'g', '--user',
    $g->{id}, '--manager', $m->{id});
ok(settled($p->{id}), 'permanent failures: settled');
is($t->db_value('SELECT max(attempts) FROM outbox WHERE push_id = ?',
    $p->{id}), 1, '... one attempt each');
is(status_of($p->{id}), 2, '... push_status 2');
is($t->db_value(q{SELECT switch FROM push_client WHERE client_id =
    'gone-g'}), 0, '... the dead device switched off');
is($t->db_value(q{SELECT switch FROM push_client WHERE client_id =
    'fail-g'}), 1, '... the other kept');

my ($rc, $list) = FeatAdmin::ctl($t, 'outbox', 'list', '--push', $p->{id},
    '--status', 'failed');
is($rc, 0, 'outbox list --push --status failed');
is_deeply([ sort map { $_->{token} } @$list ], [ 'fail-g', 'gone-g' ],
    '... both rows');
is($list->[0]{status}, 'failed', '... status by name');

# a provider down, then back: retry delivers and the push turns 1
open(my $fh, '>', "$log.down") or die;
close($fh);
$p = ctl_ok('push', 'send', '--title', 'd', '--body', 'd', '--user',
    $c->{id}, '--manager', $m->{id});
ok(settled($p->{id}), 'provider refusing: settled');
is(status_of($p->{id}), 2, '... push_status 2');
unlink("$log.down");
my $id = $t->db_value('SELECT id FROM outbox WHERE push_id = ?', $p->{id});
my $res = ctl_ok('outbox', 'retry', $id);
is($res->{retried}, 1, 'outbox retry ID: one row');
ok(settled($p->{id}), '... settled again');
is(status_of($p->{id}), 1, '... push_status back to 1');
is($t->db_value('SELECT status FROM outbox WHERE id = ?', $id), 2,
    '... the row sent');
($rc) = FeatAdmin::ctl($t, 'outbox', 'retry', $id);
is($rc, 1, 'outbox retry of a row not failed: exit 1');
$res = ctl_ok('outbox', 'retry', '--failed');
is($res->{retried}, 3, 'outbox retry --failed: every failed row');

# ---- kill -9 in the middle ---------------------------------------------------

my @slow;
for my $n (1 .. 4) {
    my $u = FeatAdmin::user($t, "1360000000$n");
    bind_client($u, "slow-$n");
    push @slow, $u->{id};
}
$p = ctl_ok('push', 'send', '--title', 'k', '--body', 'k', '--user',
    join(',', @slow), '--manager', $m->{id});
ok($t->wait_for(sub { scalar(lines_of($p->{id})) >= 1 }),
    'slow deliveries under way');
my $jobs = $t->jobs_pid;
ok($jobs, 'the jobs process found');
$t->allow_log(qr/\b$jobs\b/);
kill('KILL', $jobs);
ok(settled($p->{id}), 'after kill -9 and the respawn: settled');
is(status_of($p->{id}), 1, '... push_status 1');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
    . ' status = 2', $p->{id}), 4, '... every row sent');
my %ids;
for my $line (lines_of($p->{id})) {
    $ids{$line->{token}}{$line->{request_id}} = 1;
}
is_deeply([ sort keys %ids ], [ map { "slow-$_" } 1 .. 4 ],
    '... every device reached');
is_deeply([ map { scalar(keys %{ $ids{$_} }) } sort keys %ids ], [ 1, 1, 1, 1 ],
    '... each under one request id (a repeat is the provider\'s to drop)');

done_testing();

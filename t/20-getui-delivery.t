#!/usr/bin/perl

# 20-getui-delivery.t: pushes delivered to v2 push clients through Getui's
# REST API v2 (modules/push/getui.c) against t/fake/getui.pl, which checks
# the auth signature and the token and answers by the cid's prefix.
# Checked: auth signed with sha256(app_key + timestamp + master_secret),
# one token reused, a fresh one when Getui calls it expired, request_id
# the row's (the same on every attempt), the notification, a switch that
# is off, an app without credentials (no row; the log says why), an
# invalid cid switching its binding off, 500 retried up to
# push.max_attempts, two pushes in flight at once, and push_status.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatAdmin;
use FeatFake;
use FeatTest;
use Test::More;

my $dir = tempdir('feat-getui-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$dir/getui.log";
my (undef, $port) = FeatFake::start('getui.pl', 120, '--log', $log,
    '--app-id', 'GAPP', '--app-key', 'GKEY', '--secret', 'GSECRET');

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'push.retry_base' => 20);

sub api { return FeatAdmin::api($t, @_) }
sub ctl_ok { return FeatAdmin::ctl_ok($t, @_) }

sub lines { return FeatTest::json_lines($log) }

sub pushes_to {
    my ($cid) = @_;
    return grep { $_->{path} =~ m{/push/single/cid$}
        && ($_->{body}{audience}{cid}[0] // '') eq $cid } lines();
}

sub status_of {
    return $t->db_value('SELECT status FROM push WHERE id = ?', $_[0]);
}

sub settled {
    my ($push) = @_;
    return $t->wait_for(sub {
        !$t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
            . ' status IN (0, 1)', $push) && status_of($push) != 0 });
}

our $m = ctl_ok('manager', 'add', 'ops')->{id};

sub send_to {
    return ctl_ok('push', 'send', '--title', 'Hi', '--body', 'there',
        '--user', join(',', map { $_->{id} } @_), '--manager', $m);
}

sub user_with {
    my ($phone, @cids) = @_;
    my $u = FeatAdmin::user($t, $phone);
    for my $cid (@cids) {
        my $j = api($u, 'POST', '/api/push/bind', { client_id => $cid,
            client_type => 'android' });
        die "bind: $j->{code}" if $j->{code} != 0;
    }
    return $u;
}

ctl_ok('app', 'set', '', 'getui.app_id=GAPP', 'getui.app_key=GKEY',
    'getui.master_secret=GSECRET', "getui.url=http://127.0.0.1:$port/v2",
    'push.max_attempts=3');

my $a = user_with('13710000001', 'cid-a', 'cid-a2');
is(api($a, 'PUT', '/api/push/switch/cid-a2', { switch => JSON::PP::false })
    ->{code}, 0, 'one of A\'s clients switched off');

my $p = send_to($a);
ok(settled($p->{id}), 'a push to A: settled');
is(status_of($p->{id}), 1, '... push_status 1');
my @auth = grep { $_->{path} =~ m{/auth$} } lines();
is(scalar(@auth), 1, '... one auth');
is($auth[0]{code}, 0, '... its signature accepted');
my @l = pushes_to('cid-a');
is(scalar(@l), 1, '... cid-a once');
is($l[0]{code}, 0, '... with the token Getui issued');
my $row = $t->db_row(q{SELECT * FROM outbox WHERE token = 'cid-a'});
(my $rid = $row->{request_id}) =~ tr/-//d;
is($l[0]{body}{request_id}, $rid, '... request_id the row\'s, hex only');
is_deeply($l[0]{body}{push_message}{notification}, { title => 'Hi',
    body => 'there', click_type => 'startapp' }, '... the notification');
is(scalar(pushes_to('cid-a2')), 0, '... none to the client switched off');

$p = send_to($a);
ok(settled($p->{id}), 'a second push');
is(scalar(grep { $_->{path} =~ m{/auth$} } lines()), 1, '... no new auth');

my $b = user_with('13710000002', 'bad-b', 'busy-b');
$p = send_to($b);
ok(settled($p->{id}), 'an invalid cid and a busy Getui: settled');
is(status_of($p->{id}), 2, '... push_status 2');
is($t->db_value(q{SELECT switch FROM push_client WHERE client_id =
    'bad-b'}), 0, '... the invalid cid switched off');
is(scalar(pushes_to('bad-b')), 1, '... after one attempt');
@l = pushes_to('busy-b');
is(scalar(@l), 3, '... the busy one tried push.max_attempts (3) times');
is_deeply([ map { $_->{body}{request_id} } @l ],
    [ ($l[0]{body}{request_id}) x 3 ], '... under one request_id');

my $c = user_with('13710000003', 'expire-c');
$p = send_to($c);
ok(settled($p->{id}), 'Getui calls the token expired: settled');
is(status_of($p->{id}), 1, '... delivered');
@l = pushes_to('expire-c');
is_deeply([ map { $_->{code} } @l ], [ 10001, 0 ], '... refused, then taken');
isnt($l[1]{token}, $l[0]{token}, '... with a fresh token');
is(scalar(grep { $_->{path} =~ m{/auth$} } lines()), 2, '... a second auth');

# ---- several in flight at once ------------------------------------------------

my $d = user_with('13710000004', 'pair-1', 'pair-2');
$p = send_to($d);
ok(settled($p->{id}), 'two cids the fake answers together: settled');
is(status_of($p->{id}), 1, '... delivered');
is_deeply([ map { $_->{met} } pushes_to('pair-1'), pushes_to('pair-2') ],
    [ 1, 1 ], '... both in flight at the same moment (parallel'
    . ' connections)');

# ---- no credentials: no row ---------------------------------------------------

ctl_ok('app', 'unset', '', 'getui.master_secret');
my $before = scalar(lines());
my ($rc, $out, $err) = FeatAdmin::ctl($t, 'push', 'send', '--title', 'Hi',
    '--body', 'there', '--user', $a->{id}, '--manager', $m);
is($rc, 0, 'the app without getui.master_secret: a push to A');
is($out->{push_status}, 1, '... sent at once: nothing deliverable');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ?',
    $out->{id}), 0, '... no outbox row');
like($err, qr/push $out->{id}: nothing deliverable, counted as sent: 1 v2 push client switched off; getui: no credentials for the app \(1 client\)/,
    '... featctl\'s log says why');
is(scalar(lines()), $before, '... nothing reached Getui');

done_testing();

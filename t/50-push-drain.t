#!/usr/bin/perl

# 50-push-drain.t: a long drain of the outbox by the jobs process, with
# several deliveries in flight at once (fcgi/process/delivery.c over the
# client's multi interface).  The APNs fake (t/fake/apns.py) speaks h2
# over TLS here, with a test certificate as apns.ca_file, so libcurl
# multiplexes the requests as streams of one connection.
#
# Checked: two deliveries are in flight at the same moment (the fake holds
# each "9a1r" token's answer until another one is being answered: one at a
# time, they never meet) on one connection; then a push to 10,000 users
# is delivered to every token exactly once (the fake's log: one request
# per token, every apns-id the row's), over a handful of connections; and
# the jobs process's memory stays flat: its peak resident size at the end
# is within a generous constant of its resident size when 1,000 were
# delivered (VmHWM and VmRSS from /proc; no clock is measured).  The
# memory bound is not asserted under AddressSanitizer, whose quarantine
# keeps freed memory on purpose.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatAdmin;
use FeatFake;
use FeatTest;
use Test::More;

my $TARGETS = 10000;
my $SAMPLE = 1000;
my $GROWTH_KB = 8192;       # generous: a leak of 1 KB a row is 9 MB

my $dir = tempdir('feat-drain-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$dir/apns.log";

system("openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null"
    . " | openssl pkcs8 -topk8 -nocrypt -out $dir/key.p8"
    . " && openssl ec -in $dir/key.p8 -pubout -out $dir/key.pub"
    . " 2>/dev/null"
    . " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    . " -nodes -keyout $dir/tls.key -out $dir/tls.crt -days 2"
    . " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    . " 2>/dev/null") == 0 or die "openssl: cannot make the keys";
my $p8 = do { local (@ARGV, $/) = "$dir/key.p8"; <> };

my (undef, $port) = FeatFake::start('apns.py', 600, '--log', $log,
    '--key-pub', "$dir/key.pub", '--team', 'TEAM45', '--kid', 'KEY123',
    '--topic', 'com.example.app', '--cert', "$dir/tls.crt", '--key',
    "$dir/tls.key", '--quiet');

my $t = FeatTest->new('push.concurrency' => 16, 'push.retry_base' => 20,
    log_level => 'notice');

my $asan = do {
    open(my $mk, '<', FeatTest::builddir() . '/Makefile') or die;
    local $/;
    <$mk> =~ /-fsanitize=address/;
};

sub ctl_ok { return FeatAdmin::ctl_ok($t, @_) }

sub lines { return FeatTest::json_lines($log) }

sub status_of {
    return $t->db_value('SELECT status FROM push WHERE id = ?', $_[0]);
}

sub settled {
    my ($push, $secs) = @_;
    return $t->wait_for(sub {
        !$t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
            . ' status IN (0, 1)', $push)
        && !$t->db_value('SELECT count(*) FROM outbox_fanout WHERE'
            . ' push_id = ?', $push)
        && status_of($push) != 0 }, $secs);
}

# kB of a /proc/PID/status line
sub proc_kb {
    my ($pid, $what) = @_;
    open(my $fh, '<', "/proc/$pid/status") or return undef;
    while (<$fh>) {
        return $1 if /^\Q$what\E:\s+(\d+) kB/;
    }
    return undef;
}

# Users with one APNs token each, written straight into the database: the
# setup is not what is tested.
sub fill {
    my ($n, $fmt) = @_;
    my $dbh = $t->dbh;
    my $now = time;
    my @ids;

    $dbh->begin_work;
    my $u = $dbh->prepare(q{INSERT INTO users (app_id, username, openid,
        created_at, updated_at) VALUES ('', ?, ?, ?, ?)});
    my $d = $dbh->prepare(q{INSERT INTO apns_device (app_id, user_id, token,
        created_at, updated_at) VALUES ('', ?, ?, ?, ?)});
    for my $i (1 .. $n) {
        my $tok = sprintf($fmt, $i);
        $u->execute("drain-$tok", "drain-openid-$tok", $now, $now);
        push @ids, $dbh->sqlite_last_insert_rowid;
        $d->execute($ids[-1], $tok, $now, $now);
    }
    $dbh->commit;
    return @ids;
}

my $m = ctl_ok('manager', 'add', 'ops')->{id};
ctl_ok('app', 'set', '', 'apns.team_id=TEAM45', 'apns.key_id=KEY123',
    "apns.key=$p8", 'apns.topic=com.example.app',
    "apns.url=https://127.0.0.1:$port", "apns.ca_file=$dir/tls.crt");

# ---- two in flight at once, on one connection --------------------------------

my @pair = fill(2, '9a1r%060x');
my $p = ctl_ok('push', 'send', '--title', 'Hi', '--body', 'there', '--user',
    join(',', @pair), '--manager', $m);
ok(settled($p->{id}, 60), 'two tokens the fake answers together: settled');
is(status_of($p->{id}), 1, '... push_status 1');
my @l = lines();
is(scalar(@l), 2, '... one request each');
is_deeply([ map { $_->{met} ? 1 : 0 } @l ], [ 1, 1 ],
    '... both in flight at the same moment');
is($l[0]{conn}, $l[1]{conn}, '... as two streams of one connection');
isnt($l[0]{stream}, $l[1]{stream}, '... (streams ' . join(', ',
    map { $_->{stream} } @l) . ')');

# ---- 10,000 targets ---------------------------------------------------------

fill($TARGETS, '%064x');
my $jobs = $t->jobs_pid;
ok($jobs, 'the jobs process found');

$p = ctl_ok('push', 'send', '--title', 'all', '--body', 'of you', '--all',
    '--manager', $m);
ok($t->wait_for(sub { $t->db_value('SELECT count(*) FROM outbox WHERE'
    . ' push_id = ? AND status = 2', $p->{id}) >= $SAMPLE }, 300),
    "$SAMPLE delivered");
my $rss1 = proc_kb($jobs, 'VmRSS');
ok(settled($p->{id}, 900), "a push to $TARGETS + 2 users: settled");
my ($hwm, $rss) = (proc_kb($jobs, 'VmHWM'), proc_kb($jobs, 'VmRSS'));
is($t->jobs_pid, $jobs, '... by the same jobs process');
is(status_of($p->{id}), 1, '... push_status 1');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
    . ' status = 2', $p->{id}), $TARGETS + 2, '... every row sent');

my (%by_token, %conns);
for my $line (lines()) {
    push @{ $by_token{$line->{token}} }, $line;
    $conns{$line->{conn}}++;
}
my $rows = $t->db_rows('SELECT token, request_id FROM outbox WHERE'
    . ' push_id = ?', $p->{id});
my @twice = grep { @{ $by_token{$_->{token}} // [] }
    != ($_->{token} =~ /^9a1r/ ? 2 : 1) } @$rows;
is(scalar(@twice), 0, '... every token reached exactly once')
    or diag(explain([ map { $_->{token} } @twice[0 .. 4] ]));
my @wrong = grep { $by_token{$_->{token}}[-1]{apns_id} ne $_->{request_id}
    || $by_token{$_->{token}}[-1]{status} != 200 } @$rows;
is(scalar(@wrong), 0, '... each under its row\'s apns-id, answered 200');
cmp_ok(scalar(keys %conns), '<=', 8, '... over '
    . scalar(keys %conns) . ' connection(s), multiplexed');

note("jobs process: VmRSS $rss1 kB at $SAMPLE delivered; VmHWM $hwm kB,"
    . " VmRSS $rss kB at " . ($TARGETS + 2));
SKIP: {
    skip('memory under AddressSanitizer (its quarantine grows)', 1)
        if $asan;
    cmp_ok($hwm - $rss1, '<', $GROWTH_KB, "... memory flat: peak $hwm kB,"
        . " $rss1 kB at $SAMPLE delivered");
}

done_testing();

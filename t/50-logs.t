#!/usr/bin/perl

# 50-logs.t: featcgi's logs beside nginx's.  Times in the error log and
# the access log are ISO 8601 with the offset, in the zone the server was
# started in (TZ here, the system's in production: the one nginx stamps
# its own logs in), never the apps' "timezone"; a request's id is nginx's
# $request_id, the same in nginx's access log, featcgi's access and error
# logs and X-Request-Id.  SIGUSR1 reopens the logs in the master, every
# worker and the jobs process (logrotate renames, then signals).

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use POSIX qw(floor ceil);
use Test::More;
use Time::HiRes qw(time sleep);
use Time::Local qw(timegm);

# UTC-5 without tzdata; the apps' zone stays Asia/Shanghai (UTC+8).
my $t = FeatTest->new(-env => { TZ => 'XYZ5' }, timezone => 'Asia/Shanghai',
    workers => 2, 'jobs.interval' => 1);
my $stamp = qr/(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)([+-])(\d\d):(\d\d)/;

# The unix time a stamp names, and its offset as written.
sub when {
    my ($line) = @_;

    return () if $line !~ /^$stamp /;
    my $off = ($8 * 3600 + $9 * 60) * ($7 eq '-' ? -1 : 1);
    return (timegm($6, $5, $4, $3, $2 - 1, $1) - $off, "$7$8:$9");
}

# ---- one id and one hour in every log ----------------------------------------

my $t0 = floor(time);
my ($st, $h) = $t->get('/api/nope');
my $t1 = ceil(time) + 1;     # the access lines are written just after
my $rid = $h->{'x-request-id'} // '';

is($st, 404, 'a request answered 404');
like($rid, qr/^[0-9a-f]{32}$/, "X-Request-Id is nginx's whole \$request_id");

# nginx logs a request after its answer has gone, and featcgi after
# FCGX_Finish: the client may read the answer before either line exists
my $ngx = $t->wait_for(sub {
    (grep { index($_, $rid) >= 0 } $t->log_lines('nginx-access.log'))[0] },
    10);
ok(defined $ngx, "nginx's access log carries the same id");
my $acc = $t->wait_for(sub {
    (grep { index($_, " $rid ") >= 0 }
        $t->log_lines('featcgi-access.log'))[0] }, 10);
ok(defined $acc, "featcgi's access log line carries it") or diag(
    join("\n", $t->log_lines('featcgi-access.log')));
my ($at, $off) = when($acc // '');
is($off, '-05:00', "... stamped in the server's zone, not the apps'");
ok(defined $at && $at >= $t0 && $at <= $t1, '... at the time it was served')
    or diag($acc);

my ($err) = grep { index($_, "*$rid ") >= 0 }
    $t->log_lines('featcgi-error.log');
ok(defined $err, "featcgi's error log line carries it too") or diag(
    join("\n", $t->log_lines('featcgi-error.log')));
($at, $off) = when($err // '');
is($off, '-05:00', '... stamped in the same zone');
ok(defined $at && $at >= $t0 && $at <= $t1, '... at the same time');
like($err // '', qr/^$stamp \[\w+\] \d+#worker \d: \*$rid /,
    '... as TIME [level] PID#role: *ID message');

my @lines = $t->log_lines('featcgi-error.log');
ok(!grep({ !/^$stamp \[/ } @lines), 'every error log line is stamped so')
    or diag(join("\n", grep { !/^$stamp \[/ } @lines));
ok(!grep({ (when($_))[1] ne '-05:00' } @lines), '... in one zone');

# The apps' zone still renders answers: v2 times are Asia/Shanghai's.
my $user = $t->register_v2('13800000001', 'secret1');
my (undef, undef, $j) = $t->get('/api/personal/info',
    { -token => $user->{access_token} });
my $created = $j->{data}{created_at} // '';
my $row = $t->db_value('SELECT created_at FROM users');
my @sh = gmtime($row + 8 * 3600);
is($created, sprintf('%04d-%02d-%02d %02d:%02d:%02d', $sh[5] + 1900,
    $sh[4] + 1, @sh[3, 2, 1, 0]), 'answers keep the apps\' zone (UTC+8)');

# ---- SIGUSR1 reopens every process's logs -------------------------------------

my $dir = $t->dir;
my @procs = ($t->master_pid, $t->worker_pids, $t->hash_worker_pids);
my $jobs = $t->jobs_pid;
push @procs, $jobs if defined $jobs && !grep { $_ == $jobs } @procs;

# The processes holding a descriptor on a file named like this.
sub holders {
    my ($re) = @_;

    return grep {
        my $pid = $_;
        opendir(my $d, "/proc/$pid/fd");
        my @l = map { readlink("/proc/$pid/fd/$_") // '' } readdir($d);
        scalar grep { /$re/ } @l;
    } @procs;
}

is(scalar(holders(qr{/log/featcgi-error\.log$})), scalar(@procs),
    scalar(@procs) . ' processes (master, both pools\' workers, jobs) hold '
    . 'the error log');
for my $f (qw(featcgi-error.log featcgi-access.log)) {
    rename("$dir/log/$f", "$dir/log/$f.1") or die "rename $f: $!";
}
$t->signal('USR1');
ok($t->wait_for(sub { !holders(qr{/log/featcgi-(error|access)\.log\.1$}) }),
    'after a rename and SIGUSR1 none holds the renamed files');
is(scalar(holders(qr{/log/featcgi-error\.log$})), scalar(@procs),
    '... and every one holds the new error log');

($st, $h) = $t->get('/api/nope');
$rid = $h->{'x-request-id'} // '';
ok(scalar(grep { index($_, " $rid ") >= 0 }
    $t->log_lines('featcgi-access.log')),
    'a request after it is logged in the new access log');
ok(scalar(grep { /reopen/ } $t->log_lines('featcgi-error.log')),
    'the reopen is logged in the new error log');
ok(!grep({ index($_, $rid) >= 0 } split(/\n/,
    FeatTest::_slurp("$dir/log/featcgi-access.log.1"))),
    '... and nothing after it in the old one');

$t->stop;
done_testing;

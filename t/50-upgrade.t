#!/usr/bin/perl

# 50-upgrade.t: a binary upgrade on SIGUSR2 under load (issue 14,
# "Upgrades"), nginx's way.  The pool runs from a copy of the built
# featcgi at a path of its own; the file at that path is replaced as a
# package upgrade replaces it (a new file renamed over the old: a new
# inode), and SIGUSR2 makes the master run the new one, which takes over
# both listening sockets while clients keep writing and reading through
# nginx.  Asserted: no failed request, every acknowledged write stored,
# the old master gone with status 0, the new master (running the new
# file) serving with its own workers and jobs process on the same socket
# files, the pid file naming it, and a clean SIGTERM stop of it at the
# end.  Then the failures: a binary that cannot be run, one that refuses
# (exit 1), a config the new binary refuses, and a new master that dies
# before it is ready (with a second SIGUSR2 meanwhile, ignored): each is
# logged with its reason, and the old master serves on, unchanged, with no
# failed request.  Under a service manager without a pid file (which is
# how systemd learns the new main process) SIGUSR2 is refused.

use strict;
use warnings;

use lib 't/lib';
use File::Copy qw(copy);
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use Socket qw(SOCK_DGRAM);
use FeatTest qw(load);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

# The new master is the old one's child; when the old one exits, it is
# orphaned, and a subreaper (this test) adopts it instead of init, so the
# harness can stop and reap it as it reaps any master.
require 'syscall.ph';
syscall(&SYS_prctl, 36, 1, 0, 0, 0) == 0          # PR_SET_CHILD_SUBREAPER
    or BAIL_OUT("prctl(PR_SET_CHILD_SUBREAPER): $!");

my $clients = 6;
my $PASS = 'upgrade-pass1';
my $real = FeatTest::builddir() . '/featcgi';
my $bindir = tempdir('featcgi-bin-XXXXXX',
    DIR => ($ENV{TMPDIR} && -d $ENV{TMPDIR} ? $ENV{TMPDIR} : '/tmp'),
    CLEANUP => 1);
my $bin = "$bindir/featcgi";

# Puts a new file at $bin the way dpkg does (written beside, renamed
# over): the old master's binary keeps its inode, the path names another.
# Answers the new inode.
sub install {
    my (%o) = @_;

    if (defined $o{script}) {
        open(my $fh, '>', "$bin.new") or die "$bin.new: $!";
        print {$fh} $o{script};
        close($fh) or die "$bin.new: $!";
    } else {
        copy($real, "$bin.new") or die "copy: $!";
    }
    chmod($o{mode} // 0755, "$bin.new") or die "chmod: $!";
    rename("$bin.new", $bin) or die "rename: $!";
    return (stat($bin))[1];
}

sub start_pool {
    my (%env) = @_;
    my %users;

    install();
    my $t = FeatTest->new(-featcgi => $bin, workers => 2, hash_workers => 2,
        pid_file => "$bindir/featcgi.pid", -env => \%env);
    for my $c (1 .. $clients) {
        my $phone = sprintf('1370000%04d', $c);
        $users{$c} = { account => $phone,
            token => $t->register_v2($phone, $PASS)->{access_token} };
    }
    return ($t, \%users);
}

# Each client writes a feedback (its id recorded with the answer), reads
# its profile and the feedback list, and now and then logs in (the
# hashing pool's socket).  The tag: the time the request left, and the
# content written.
sub traffic {
    my ($u) = @_;

    return sub {
        my ($c, $i) = @_;
        my $h = { -token => $u->{$c}{token} };

        return ('POST', '/api/feedback', { feedback_content => "c$c-$i",
            contact_phone => '' }, $h, [ time, "c$c-$i" ]) if $i % 4 == 0;
        return ('GET', '/api/personal/info', undef, $h, [ time ])
            if $i % 4 == 1;
        return ('POST', '/api/auth/access_token', { account =>
            $u->{$c}{account}, password => $PASS }, {}, [ time ])
            if $i % 8 == 2;
        return ('GET', '/api/feedback', undef, $h, [ time ]);
    };
}

# The answers that are not 200 with v2 code 0, as "STATUS CODE METHOD PATH".
sub failures {
    my ($res) = @_;

    return map { "$_->{status} "
        . (ref($_->{data}) eq 'HASH' ? $_->{data}{code} // '-' : '-')
        . " $_->{method} $_->{path}" }
        grep { $_->{status} != 200 || ref($_->{data}) ne 'HASH'
            || ($_->{data}{code} // -1) != 0 } @{ $res->{answers} };
}

sub access_lines {
    my ($t) = @_;

    return scalar(my @l = $t->log_lines('featcgi-access.log'));
}

# Waits until the pool has answered n more requests.
sub served_more {
    my ($t, $n) = @_;
    my $from = access_lines($t);

    return $t->wait_for(sub { access_lines($t) >= $from + $n }, 120);
}

sub log_has {
    my ($t, $re) = @_;

    return grep { /$re/ } $t->log_lines('featcgi-error.log');
}

sub pid_file {
    open(my $fh, '<', "$bindir/featcgi.pid") or return 0;
    my $pid = <$fh> // 0;
    close($fh);
    chomp($pid);
    return $pid;
}

sub exe_inode { return (stat("/proc/$_[0]/exe"))[1] // 0 }

# wrk beside the clients: 16 kept-alive connections reading through nginx
# until wrk_end (SIGINT: wrk prints its summary).  The timeout is
# generous: a slow machine makes a slow answer, not a failed one.
sub wrk_start {
    my ($t, $token) = @_;
    my $out = "$t->{dir}/wrk.out";
    my $pid = fork();

    die "fork: $!" if !defined $pid;
    if ($pid == 0) {
        open(STDOUT, '>', $out) or POSIX::_exit(126);
        open(STDERR, '>&', \*STDOUT) or POSIX::_exit(126);
        { no warnings 'exec'; exec('wrk', '-t1', '-c16', '-d600s',
            '--timeout', '60s', '-H', "Authorization: Token $token",
            $t->url('/api/personal/info')); }
        print STDERR "exec wrk: $!\n";
        POSIX::_exit(127);
    }
    return [ $pid, $out ];
}

# Answers (requests, failed): non-2xx answers plus socket errors.
sub wrk_end {
    my ($w) = @_;

    kill('INT', $w->[0]);
    waitpid($w->[0], 0);
    my $text = FeatTest::_slurp($w->[1]);
    my ($n) = $text =~ /(\d+) requests in/;
    my ($non2xx) = $text =~ /Non-2xx or 3xx responses: (\d+)/;
    # "connect N, read N, write N, timeout N"
    my @sock = $text =~ /Socket errors: (.*)/ ? ($1 =~ /(\d+)/g) : ();
    my $failed = ($non2xx // 0);

    $failed += $_ for @sock;
    diag($text) if !defined $n || $failed;
    return ($n // 0, $failed);
}

# The service manager's side of sd_notify: what the masters said, in order.
my $notify = IO::Socket::UNIX->new(Type => SOCK_DGRAM,
    Local => "$bindir/notify") or die "notify socket: $!";
$notify->blocking(0);

sub notified {
    my @msgs;

    while (defined $notify->recv(my $msg, 4096)) {
        last if $msg eq '';
        push @msgs, $msg;
    }
    return @msgs;
}

# ---- the upgrade under load ------------------------------------------------

my ($t, $u) = start_pool(NOTIFY_SOCKET => "$bindir/notify");
my $old = $t->master_pid;
my $sock_ino = (stat($t->{sock}))[1];
my $hash_ino = (stat($t->{hash_sock}))[1];
my $old_exe = exe_inode($old);
my (@old_kids, $old_jobs, $new_ino, $old_status, $new, $usr2_at, $gone_at);

is(pid_file(), $old, 'the pid file names the master');

my $wrk = wrk_start($t, $u->{1}{token});
my $res = load(t => $t, clients => $clients, seconds => 600, stop => 1,
    request => traffic($u),
    during => sub {
        served_more($t, 100);
        @old_kids = ($t->worker_pids, $t->hash_worker_pids);
        $old_jobs = $t->jobs_pid;
        $new_ino = install();
        $usr2_at = time;
        $t->signal('USR2');
        # The old master is this test's child: reaped here.
        $old_status = FeatTest::_wait_pid($old, 120);
        $gone_at = time;
        $new = pid_file();
        $t->set_master_pid($new) if $new && $new != $old;
        served_more($t, 100);
    });
my ($wrk_n, $wrk_failed) = wrk_end($wrk);

my @bad = failures($res);
my @sent = map { $_->{tag}[0] } @{ $res->{answers} };
cmp_ok(scalar(grep { $_ < $usr2_at } @sent), '>', 0,
    "$res->{total} requests: some sent before SIGUSR2");
cmp_ok(scalar(grep { $_ > $gone_at } @sent), '>', 0,
    '... some after the old master exited ('
    . scalar(grep { $_ >= $usr2_at && $_ <= $gone_at } @sent)
    . ' in between)');
is(scalar(@bad), 0, 'none failed (every answer 200, code 0)')
    or diag(explain([ @bad[0 .. ($#bad < 9 ? $#bad : 9)] ]));
cmp_ok($wrk_n, '>', 0, "wrk beside them: $wrk_n requests");
is($wrk_failed, 0, '... none failed (no non-2xx answer, no socket error)');

my %stored = map { $_->{id} => $_->{content} }
    @{ $t->db_rows('SELECT id, content FROM feedback') };
my @acked = grep { $_->{method} eq 'POST' && $_->{path} eq '/api/feedback'
    && ref($_->{data}) eq 'HASH' && ($_->{data}{code} // -1) == 0 }
    @{ $res->{answers} };
my @missing = grep { ($stored{ $_->{data}{data}{id} // 0 } // '')
    ne $_->{tag}[1] } @acked;
cmp_ok(scalar(@acked), '>', 0, scalar(@acked) . ' writes acknowledged');
is(scalar(@missing), 0, '... every one stored, with its content')
    or diag(explain([ map { $_->{tag}[1] } @missing[0 .. ($#missing < 9
        ? $#missing : 9)] ]));

is($old_status, 0, 'the old master exited with status 0');
ok(!kill(0, $old), '... and is gone');
ok(!grep({ kill(0, $_) } @old_kids), 'its workers are gone')
    or diag("old workers @old_kids");
ok($old_jobs && !kill(0, $old_jobs), 'its jobs process is gone');
ok($new && $new != $old && kill(0, $new),
    "the pid file names the new master (pid $new)");
isnt($new_ino, $old_exe, 'the file at the path is a new one');
is(exe_inode($new), $new_ino, 'the new master runs the file at the path');
is(scalar($t->worker_pids), 2, 'the new master\'s two workers hold the '
    . 'socket');
is(scalar($t->hash_worker_pids), 2, '... and two the hashing socket');
ok(-S $t->{sock} && (stat($t->{sock}))[1] == $sock_ino,
    'the socket file is the one bound at the start');
ok(-S $t->{hash_sock} && (stat($t->{hash_sock}))[1] == $hash_ino,
    '... and the hashing one too');
ok($t->wait_for(sub { $t->jobs_pid }, 60),
    'the new master has a jobs process');
my ($st) = $t->get('/api/personal/info', { -token => $u->{1}{token} });
is($st, 200, 'the new master serves');
ok($t->wait_for(sub { ($t->get('/healthz'))[0] == 200 }, 60),
    'GET /healthz: 200 (pool, database and jobs well)');

ok(log_has($t, qr/upgrade: started \Q$bin\E as the new master \(pid $new\)/),
    'the old master logged the start of the new one');
ok(log_has($t, qr/upgrade: taking over from the old master \(pid $old\)/),
    'the new master logged the take-over');
ok(log_has($t, qr/listening on \Q$t->{sock}\E \(taken over\)/),
    '... of the socket, not bound again');
ok(log_has($t, qr/upgrade: the new master \(pid $new\) serves/)
    && log_has($t, qr/upgrade: handing over/),
    'the old master logged the hand over');
ok(!log_has($t, qr/killing (them|it)|exited on signal 9/),
    'no child had to be killed');
my %zones = map { /^\d{4}-\d\d-\d\dT[\d:]{8}([+-]\d\d:\d\d) / ? ($1 => 1) : () }
    $t->log_lines('featcgi-error.log');
is(scalar(keys %zones), 1, 'both masters stamp their logs in the same zone '
    . '(the new one started in the old one\'s, not the apps\' TZ)')
    or diag(join(' ', sort keys %zones));

my @said = notified();
# systemd follows the pid file (PIDFile=) when the old master exits: a
# MAINPID= from either would name a process it does not wait for.
is_deeply(\@said, [ 'READY=1' ], 'the service manager heard READY=1 at the '
    . 'start, then nothing: no STOPPING=1, no MAINPID=')
    or diag(explain(\@said));

# The new master is this test's child now (the subreaper): the harness
# stops it with SIGTERM and checks its status, its children and the logs.
$t->stop;
is_deeply([ notified() ], [ 'STOPPING=1' ],
    'the new master says STOPPING=1 at its stop');
ok(!-e $t->{sock}, 'SIGTERM to the new master removes the socket file');

# ---- failing new binaries: the old master serves on ------------------------

($t, $u) = start_pool();
$old = $t->master_pid;
$sock_ino = (stat($t->{sock}))[1];
my @kids;
my $flag = "$bindir/die-now";
my (@checks, $seen);

$res = load(t => $t, clients => $clients, seconds => 600, stop => 1,
    request => traffic($u),
    during => sub {
        served_more($t, 50);
        @kids = sort($t->worker_pids, $t->hash_worker_pids, $t->jobs_pid);

        # a file that cannot be run
        install(mode => 0644);
        $t->signal('USR2');
        push @checks, $t->wait_for(sub { log_has($t,
            qr/upgrade: "\Q$bin\E -t" failed \(exit code 127\): execv/) }, 60);
        served_more($t, 20);

        # a binary that refuses to start
        install(script => "#!/bin/sh\necho 'not this one' >&2\nexit 1\n");
        $t->signal('USR2');
        push @checks, $t->wait_for(sub { log_has($t,
            qr/-t" failed \(exit code 1\): not this one; this master serves on/)
            }, 60);
        served_more($t, 20);

        # a config the new binary refuses
        install();
        open(my $fh, '>>', $t->conf_file) or die;
        print {$fh} "no_such_key = 1\n";
        close($fh);
        $t->signal('USR2');
        push @checks, $t->wait_for(sub { log_has($t,
            qr/-t" failed \(exit code 1\): .*no_such_key/) }, 60);
        $t->write_conf;
        served_more($t, 20);

        # a new master that passes -t, then dies before it is ready; a
        # second SIGUSR2 meanwhile is ignored
        install(script => <<"EOF");
#!/bin/sh
for a in "\$@"; do [ "\$a" = -t ] && exec $real "\$@"; done
while [ ! -e $flag ]; do sleep 0.05; done
exit 3
EOF
        $t->signal('USR2');
        push @checks, $t->wait_for(sub { log_has($t,
            qr/upgrade: started \Q$bin\E as the new master/) }, 60);
        $t->signal('USR2');
        push @checks, $t->wait_for(sub { log_has($t,
            qr/the new master \(pid \d+\) is still starting: SIGUSR2 ignored/)
            }, 60);
        open($fh, '>', $flag) or die;
        close($fh);
        my $died = qr/upgrade failed: the new master \(pid \d+\) exited with/;
        push @checks, $t->wait_for(sub { log_has($t,
            qr/$died code 3 before it was ready/) }, 60);
        served_more($t, 50);
    });

ok($checks[0], 'a file that cannot be run: logged with execv\'s reason');
ok($checks[1], 'a binary that exits 1: logged with what it said');
ok($checks[2], 'a config the new binary refuses: logged with the reason');
ok($checks[3], 'a new master that passes -t is started');
ok($checks[4], 'a second SIGUSR2 while it starts is ignored, logged');
ok($checks[5], 'its death before it was ready is logged');
@bad = failures($res);
cmp_ok($res->{total}, '>', 0, "$res->{total} requests across the attempts");
is(scalar(@bad), 0, 'none failed') or diag(explain([ @bad[0 .. ($#bad < 9
    ? $#bad : 9)] ]));
ok(kill(0, $old) && $t->master_pid == $old, 'the old master still runs');
is(pid_file(), $old, '... and the pid file names it');
is_deeply([ sort($t->worker_pids, $t->hash_worker_pids, $t->jobs_pid) ],
    \@kids, '... with the same workers and jobs process');
ok(-S $t->{sock} && (stat($t->{sock}))[1] == $sock_ino,
    '... on the same socket file');
($st) = $t->get('/api/personal/info', { -token => $u->{1}{token} });
is($st, 200, '... serving');
$t->stop;

# ---- one jobs process at a time delivers the outbox -------------------------

# A jobs process starts by putting the outbox rows left "sending" (by a
# crash) back to pending: it must not start while another one may be
# sending.  Made certain here by stopping the old one (SIGSTOP): it cannot
# exit until it is let go.

# The children of master that hold neither listening socket: its jobs
# processes (two if a new one started beside a retiring one).
sub jobs_children {
    my ($t, $master) = @_;
    my @inodes = grep { defined } $t->_listen_inode,
        $t->_listen_inode($t->{hash_sock});

    return grep { my $p = $_; !grep { FeatTest::_has_fd_inode($p, $_) }
        @inodes } FeatTest::_children($master);
}

# Holds jobs process $pid (SIGSTOP) at a moment it holds no write lock: one
# stopped inside a sweep's or a delivery's transaction would keep the new
# master's migrations waiting ("database is locked"), which no real
# retiring jobs process does.  Answers whether it managed.
sub hold_idle {
    my ($t, $pid) = @_;
    my $dbh = $t->dbh;

    for (1 .. 100) {
        kill('STOP', $pid);
        $dbh->sqlite_busy_timeout(0);
        my $free = eval { $dbh->do('BEGIN IMMEDIATE'); $dbh->do('ROLLBACK');
            1 };
        $dbh->sqlite_busy_timeout(10000);
        return 1 if $free;
        kill('CONT', $pid);
        select(undef, undef, undef, 0.05);
    }
    return 0;
}

install();
$t = FeatTest->new(-featcgi => $bin, pid_file => "$bindir/featcgi.pid");
$old = $t->master_pid;
my ($old_j) = jobs_children($t, $old);
my @old_w = ($t->worker_pids, $t->hash_worker_pids);
ok(hold_idle($t, $old_j), 'the jobs process held, outside a transaction');
$t->signal('HUP');
# Once the old workers are gone: one that is exiting has closed its
# sockets already and would pass for a jobs process.
ok($t->wait_for(sub { log_has($t, qr/reloaded: /)
    && !grep { kill(0, $_) } @old_w }, 60), 'a reload');
is_deeply([ jobs_children($t, $old) ], [ $old_j ],
    '... starts no jobs process while the old one runs');
my (undef, undef, $hz) = $t->get('/healthz');
is(ref($hz) eq 'HASH' ? $hz->{jobs}{pid} : undef, $old_j,
    '... and /healthz names the old one meanwhile');
kill('CONT', $old_j);
ok($t->wait_for(sub { my @j = jobs_children($t, $old);
    @j == 1 && $j[0] != $old_j }, 60), '... then, once it has exited, '
    . 'a new one');

($old_j) = jobs_children($t, $old);
ok(hold_idle($t, $old_j), 'the jobs process held again, outside a '
    . 'transaction');
$t->signal('USR2');
ok($t->wait_for(sub { log_has($t, qr/upgrade: handing over/) }, 60),
    'an upgrade hands over');
$new = pid_file();
ok($t->wait_for(sub { my @k = grep { $_ != $new }
    FeatTest::_children($old); @k == 1 && $k[0] == $old_j }, 60),
    '... the old workers leave, the old jobs process (stopped) stays');
is_deeply([ jobs_children($t, $new) ], [],
    '... and the new master starts no jobs process meanwhile');
ok(!defined(FeatTest::_wait_pid($old, 0)), '... while the old master waits');
kill('CONT', $old_j);
is(FeatTest::_wait_pid($old, 60), 0,
    'the old master exits 0 once its jobs process has');
$t->set_master_pid($new);
ok($t->wait_for(sub { jobs_children($t, $new) == 1 }, 60),
    '... then the new master starts its own');
$t->stop;

# ---- under a service manager, an upgrade needs the pid file ----------------

# systemd learns the new main process from PIDFile=; without one it would
# take the old master's exit for the service's end.
install();
$t = FeatTest->new(-featcgi => $bin, pid_file => undef,
    -env => { NOTIFY_SOCKET => "$bindir/notify" });
$old = $t->master_pid;
$t->signal('USR2');
ok($t->wait_for(sub { log_has($t, qr/upgrade: under a service manager it /
    . qr/needs "pid_file".*SIGUSR2 ignored/) }, 60),
    'NOTIFY_SOCKET and no pid_file: SIGUSR2 refused, logged');
ok(kill(0, $old) && !log_has($t, qr/upgrade: (checking|started)/),
    '... nothing run, the master serves on');
$t->stop;
notified();

done_testing;

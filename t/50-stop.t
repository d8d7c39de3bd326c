#!/usr/bin/perl

# 50-stop.t: stopping and reloading under steady load (issue 14, "found
# under load first").  SIGTERM while clients keep the socket busy: every
# request sent before the signal is answered (the ones in hand and the
# ones queued on the socket), the workers hear the stop at once instead
# of being killed after 10 s, and the socket file goes.  SIGHUP under the
# same load: the retired workers leave while the load lasts, with no
# failed request.  A second featcgi on the same socket refuses to start
# and leaves the first one serving.

use strict;
use warnings;

use lib 't/lib';
use FeatFcgi qw(fcgi_request);
use FeatTest qw(load);
use Test::More;
use IO::Select;
use IO::Socket::UNIX;
use POSIX ();
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(sleep time);

my $clients = 6;

# fcgi_load($t, $token, $n): a child that keeps $n FastCGI requests (GET
# /api/personal/info) outstanding on featcgi's socket itself, each
# connection sending its next request as soon as its answer is in.  nginx
# in front (one process, here on few cores) cannot keep the queue full,
# and a queue that empties now and then lets a signal in by chance; this
# keeps it full: the steady load under which a worker never saw one
# (Linux's ppoll() answers the ready socket and restores the mask without
# delivering what is pending).  The child runs until fcgi_load_end, and
# writes a line per request: the time it was sent and 1 when answered, 0
# when the connection failed or closed without an answer.
sub fcgi_load {
    my ($t, $token, $n) = @_;
    my $pid = fork();

    die "fork: $!" if !defined $pid;
    return $pid if $pid;

    my $req = fcgi_request(token => $token);
    my $end = "$t->{dir}/fcgi-load.end";
    my (%conn, $sel);
    open(my $out, '>', "$t->{dir}/fcgi-load.out") or POSIX::_exit(1);
    $out->autoflush(1);
    $sel = IO::Select->new;

    my $open = sub {
        my $s = IO::Socket::UNIX->new(Peer => $t->{sock}, Type => SOCK_STREAM)
            or return 0;
        my $at = time;
        syswrite($s, $req);
        $conn{ fileno($s) } = { s => $s, at => $at, buf => '' };
        $sel->add($s);
        return 1;
    };

    while (!-e $end) {
        while (keys(%conn) < $n) {
            last if !$open->();
        }
        if (!keys %conn) {
            sleep(0.01);        # the socket is gone: wait for the end
            next;
        }
        for my $s ($sel->can_read(0.1)) {
            my $c = $conn{ fileno($s) };
            my $r = sysread($s, $c->{buf}, 65536, length($c->{buf}));
            my $done = 0;
            if ($r) {
                # END_REQUEST (type 3) ends an answer
                my $buf = $c->{buf};
                while (length($buf) >= 8) {
                    my ($v, $type, $id, $len, $pad) = unpack('CCnnC', $buf);
                    last if length($buf) < 8 + $len + $pad;
                    $done = 1 if $type == 3;
                    substr($buf, 0, 8 + $len + $pad) = '';
                }
                next if !$done;
            }
            print {$out} "$c->{at} $done\n";
            $sel->remove($s);
            delete $conn{ fileno($s) };
            close($s);
        }
    }
    POSIX::_exit(0);
}

# Ends the child; answers (\@sent_times_of_failures, $answered).
sub fcgi_load_end {
    my ($t, $pid) = @_;
    my (@failed, $ok);

    open(my $fh, '>', "$t->{dir}/fcgi-load.end");
    close($fh);
    waitpid($pid, 0);
    for my $line (split(/\n/, FeatTest::_slurp("$t->{dir}/fcgi-load.out"))) {
        my ($at, $done) = split(' ', $line);
        if ($done) {
            $ok++;
        } else {
            push @failed, $at;
        }
    }
    unlink("$t->{dir}/fcgi-load.end");
    return (\@failed, $ok // 0);
}

# A login with slow hashing (scrypt N = 2^14, 16 MiB) in a child: a request
# a worker holds for a while.  Answers the child's pid once a worker is
# seen hashing (its resident memory grew by the hash's 16 MiB), so that a
# signal sent then finds the worker busy, the signal held, not waiting in
# ppoll(); its status goes to login.status.
sub rss_kb {
    my ($pid) = @_;

    return (FeatTest::_slurp("/proc/$pid/status") =~ /^VmRSS:\s+(\d+)/m)[0]
        // 0;
}

sub slow_login {
    my ($t) = @_;
    # nginx sends logins to the hashing pool
    my %base = map { $_ => rss_kb($_) } $t->hash_worker_pids;
    my $pid = fork();

    die "fork: $!" if !defined $pid;
    if ($pid == 0) {
        my ($st) = $t->post('/api/auth/access_token',
            { account => '13600009999', password => 'slowpass1' });
        open(my $fh, '>', "$t->{dir}/login.status");
        print {$fh} $st;
        close($fh);
        POSIX::_exit(0);
    }
    $t->wait_for(sub {
        return grep { rss_kb($_) > $base{$_} + 8192 } keys %base;
    }, 30);
    return $pid;
}

sub login_status {
    my ($t, $pid) = @_;

    waitpid($pid, 0);
    return FeatTest::_slurp("$t->{dir}/login.status");
}

sub start_pool {
    my $t = FeatTest->new(workers => 2, 'scrypt.ln' => 14,
        'scrypt.nice' => 0);
    my %tok;

    $t->register_v2('13600009999', 'slowpass1');

    # One user for every client: each registration hashes slowly too.
    my $token = $t->register_v2('13700000001', 'secret1')->{access_token};
    $tok{$_} = $token for 1 .. $clients;
    return ($t, \%tok);
}

# Each client alternates a write and a read of its own profile; the tag is
# the time just before the request left.
sub traffic {
    my ($tok) = @_;

    return sub {
        my ($c, $i) = @_;

        return ('PUT', '/api/personal/info', { nickname => "c$c-$i" },
            { -token => $tok->{$c} }, time) if $i % 2 == 0;
        return ('GET', '/api/personal/info', undef,
            { -token => $tok->{$c} }, time);
    };
}

# ---- SIGTERM under load: nothing sent before the signal is lost ---------------

my ($t, $tok) = start_pool();
my ($sent_at, $exit, $ino, $fpid, $failed, $answered, $login);

$fpid = fcgi_load($t, $tok->{1}, 64);
my $res = load(t => $t, clients => $clients, seconds => 60, stop => 1,
    request => traffic($tok),
    during => sub {
        # Load first: every client has answers behind it.
        sleep(1.5);
        $login = slow_login($t);
        $sent_at = time;
        $t->signal('TERM');
        $exit = $t->wait_exit(30);
        sleep(0.3);     # some requests after the stop, which must fail
    });
($failed, $answered) = fcgi_load_end($t, $fpid);

my @before = grep { $_->{tag} < $sent_at } @{ $res->{answers} };
my @lost = grep { $_->{status} != 200 } @before;
my @after = grep { $_->{tag} > $sent_at + 5 } @{ $res->{answers} };

cmp_ok(scalar(@before), '>', 50, scalar(@before) . ' requests before SIGTERM');
is(scalar(@lost), 0, 'every request sent before SIGTERM was answered 200')
    or diag(explain([ map { "$_->{status} $_->{method} $_->{path}" }
        @lost[0 .. ($#lost < 9 ? $#lost : 9)] ]));
cmp_ok($answered, '>', 100, "$answered FastCGI requests answered beside");
is(scalar(grep { $_ < $sent_at } @$failed), 0,
    '... every one sent before SIGTERM (queued on the socket)');
is(login_status($t, $login), 200, 'the login in hand at SIGTERM got its 200');
is($exit, 0, 'the master exited with status 0');
ok(!-e $t->{sock}, 'the socket file is gone');
my @log = $t->log_lines('featcgi-error.log');
ok(!grep({ /killing them|exited on signal 9/ } @log),
    'no worker had to be killed: each heard SIGTERM under load');
ok(grep({ /stopping: serving on/ } @log), 'the stop is logged');
$t->stop;

# ---- SIGHUP under load: the retired workers leave while the load lasts --------

($t, $tok) = start_pool();
my (@old, $gone);

$fpid = fcgi_load($t, $tok->{1}, 64);
$res = load(t => $t, clients => $clients, seconds => 60, stop => 1,
    request => traffic($tok),
    during => sub {
        sleep(1);
        @old = $t->worker_pids;
        $login = slow_login($t);
        $t->signal('HUP');
        # Under the load that goes on meanwhile.
        $gone = $t->wait_for(sub { !grep { kill(0, $_) } @old }, 30);
        sleep(0.5);
    });
($failed, $answered) = fcgi_load_end($t, $fpid);

cmp_ok($answered, '>', 100, "$answered FastCGI requests answered beside");
is(scalar(@$failed), 0, '... and none failed');
is(login_status($t, $login), 200, 'the login in hand at SIGHUP got its 200');
is(scalar(@old), 2, 'two workers before the reload');
ok($gone, 'the retired workers exited while the load went on');
is($res->{failed}, 0, "no failed request among $res->{total} across the "
    . 'reload') or diag(explain($res->{status}));
@log = $t->log_lines('featcgi-error.log');
ok(!grep({ /after it was retired: killing it/ } @log),
    'no retiree had to be killed');

# ---- a second featcgi refuses the socket of a live one ------------------------

$ino = (stat($t->{sock}))[1];
my $out = "$t->{dir}/second.out";
my $rc = system("$t->{build}/featcgi -c $t->{conf_file} >$out 2>&1");
isnt($rc, 0, 'a second featcgi on the same config exits non-zero');
my @second = grep { /in use by a running server/ }
    $t->log_lines('featcgi-error.log'), split(/\n/, FeatTest::_slurp($out));
ok(@second, 'saying the socket is in use by a running server');
$t->allow_log(qr/in use by a running server|featcgi not started/);
is((stat($t->{sock}))[1], $ino, 'the socket file is the first one\'s');
my ($st) = $t->get('/api/personal/info', { -token => $tok->{1} });
is($st, 200, 'and the first one still serves');

$t->stop;
done_testing;

#!/usr/bin/perl

# 50-health.t: GET /healthz and "featctl status".  A healthy pool answers
# 200 with its state: workers wanted and alive, the database reachable and
# writable, the jobs process's pid and last sweep, the outbox's backlog as
# stored.  A jobs process that stopped sweeping (SIGSTOP) or is not running
# (killed into the respawn backoff) makes it 503, and it comes back.  Only
# loopback and health.allow_from are answered.  featctl status says the
# same for people (exit 0 / 1) and scripts (--json).

use strict;
use warnings;

use lib 't/lib';
use FeatTest qw(json);
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Test::More;

my $t = FeatTest->new(workers => 2, 'jobs.interval' => 1,
    'health.sweep_age' => 3);

# ---- healthy ------------------------------------------------------------------

my $ok = $t->wait_for(sub {
    my ($st, undef, $j) = $t->get('/healthz');
    return $st == 200 && ref($j) && $j->{jobs}{last_sweep} > 0;
});
ok($ok, 'GET /healthz: 200 once the jobs process has swept');
my ($st, $h, $j) = $t->get('/healthz');
is($st, 200, 'GET /healthz: 200');
is($j->{status}, 'ok', 'status ok');
is_deeply($j->{problems}, [], 'no problem');
# Both pools: the main one's and the hashing one's workers.
my $want = $t->conf->{workers} + ($t->conf->{hash_workers} // 0);
is($j->{pool}{workers}, $want, "pool: $want workers wanted (both pools)");
is($j->{pool}{alive}, $want, "... $want alive");
ok(!$j->{pool}{stopping}, '... not stopping');
ok($j->{database}{reachable} && $j->{database}{writable},
    'database reachable and writable');
ok($j->{jobs}{alive}, 'jobs process alive');
is($j->{jobs}{pid}, $t->jobs_pid, '... with its pid');
cmp_ok($j->{jobs}{last_sweep_age}, '<=', 3, '... swept lately');
is($j->{outbox}{pending},
    $t->db_value('SELECT count(*) FROM outbox WHERE status = 0'),
    'outbox pending as stored');
is($j->{outbox}{fanout},
    $t->db_value('SELECT count(*) FROM outbox_fanout'), '... fan-outs too');
is($h->{'cache-control'}, 'no-store', 'never cached');

my ($rc, $out, $err) = $t->featctl('status');
is($rc, 0, 'featctl status: exit 0') or diag($err);
like($out, qr/^featcgi:\s+ok on /m, '... ok');
like($out, qr/^workers:\s+$want of $want alive/m, "... $want of $want workers");
like($out, qr/^database:\s+reachable, writable$/m, '... database');
like($out, qr/^jobs:\s+running \(pid \d+\), last sweep /m, '... jobs');
like($out, qr/^outbox:\s+0 pending, 0 sending, 0 fan-outs$/m, '... outbox');

($rc, $out) = $t->featctl('--json', 'status');
my $s = eval { json()->decode($out) } // {};
is($rc, 0, 'featctl --json status: exit 0');
is($s->{status}, 'ok', '... the same JSON');
is($s->{pool}{alive}, $want, '... with the pool');

# ---- 503: the jobs process stopped sweeping ----------------------------------

my $jobs = $t->jobs_pid;
$t->allow_log(qr/healthz: jobs process/);
kill('STOP', $jobs);
($st, $h, $j) = @{ $t->wait_for(sub {
    my @r = $t->get('/healthz');
    return $r[0] == 503 ? \@r : undef;
}, 30) // [] };
is($st, 503, 'a stopped jobs process: 503');
is($j->{status}, 'fail', '... status fail');
is_deeply($j->{problems}, ['jobs process not sweeping'], '... saying why');
($rc, $out) = $t->featctl('status');
is($rc, 1, 'featctl status: exit 1');
like($out, qr/^problem:\s+jobs process not sweeping$/m, '... saying why');
kill('CONT', $jobs);
ok($t->wait_for(sub { ($t->get('/healthz'))[0] == 200 }),
    'it sweeps again: 200');

# ---- 503: no jobs process (killed twice: respawned after a backoff) ----------

$t->allow_log(qr/jobs process .* exited on signal 9|dies young/);
kill('KILL', $t->jobs_pid);
ok($t->wait_for(sub { my $p = $t->jobs_pid; $p && $p != $jobs }),
    'the jobs process is respawned at once');
my $second = $t->jobs_pid;
kill('KILL', $second);
($st, $h, $j) = @{ $t->wait_for(sub {
    my @r = $t->get('/healthz');
    return $r[0] == 503 ? \@r : undef;
}, 30) // [] };
is($st, 503, 'killed again, waiting for its respawn: 503');
ok(!$j->{jobs}{alive}, '... jobs not alive');
ok(scalar(grep { $_ eq 'jobs process not running' } @{ $j->{problems} }),
    '... saying so');
ok($t->wait_for(sub { ($t->get('/healthz'))[0] == 200 }, 30),
    'respawned: 200 again');

# ---- who may ask --------------------------------------------------------------

# A FastCGI GET /healthz sent to the socket with a client address of our
# choosing (nginx always says 127.0.0.1 here): the answer's status.
sub fcgi_status {
    my ($addr) = @_;
    my %p = (REQUEST_METHOD => 'GET', DOCUMENT_URI => '/healthz',
        REQUEST_URI => '/healthz', QUERY_STRING => '', REMOTE_ADDR => $addr,
        SERVER_PROTOCOL => 'HTTP/1.1', HTTP_HOST => 'localhost',
        FEAT_APP_ID => '');
    my $params = join('', map { pack('CC', length($_), length($p{$_}))
        . $_ . $p{$_} } sort keys %p);
    my $rec = sub { pack('CCnnCC', 1, $_[0], 1, length($_[1]), 0, 0) . $_[1] };
    my $s = IO::Socket::UNIX->new(Peer => $t->{sock}, Type => SOCK_STREAM)
        or return 0;
    my ($buf, $out) = ('', '');

    print {$s} $rec->(1, pack('nCx5', 1, 0)), $rec->(4, $params),
        $rec->(4, ''), $rec->(5, '');
    1 while sysread($s, $buf, 65536, length($buf));
    while (length($buf) >= 8) {
        my (undef, $type, undef, $len, $pad) = unpack('CCnnC', $buf);
        $out .= substr($buf, 8, $len) if $type == 6;
        substr($buf, 0, 8 + $len + $pad) = '';
    }
    return $out =~ /^Status: (\d+)/ ? $1 : 0;
}

is(fcgi_status('127.0.0.1'), 200, 'loopback (v4) is answered');
is(fcgi_status('::1'), 200, 'loopback (v6) too');
is(fcgi_status('10.1.2.3'), 403, 'another address is refused: 403');
$t->write_conf('health.allow_from' => '10.0.0.0/8, 192.0.2.7');
$t->signal('HUP');
ok($t->wait_for(sub { fcgi_status('10.1.2.3') == 200 }),
    'in health.allow_from (after a reload): 200');
is(fcgi_status('192.0.2.8'), 403, 'outside it still 403');

$t->stop;
done_testing;

#!/usr/bin/perl

# 50-faults.t: the process model under load.  kill -9 of a worker: the
# master replaces it, names the crash in the log, and every request that
# was answered 200 was committed.  SIGHUP: workers replaced with a new
# config and no failed request.  SIGTERM: requests in flight finish.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use FeatTest qw(load);
use Test::More;
use Time::HiRes qw(sleep);

my $t = FeatTest->new('code.ip_hourly_limit' => 1_000_000,
    'code.resend_interval' => 0, workers => 2);

# One user per client for the PUTs.
my $clients = 4;
my %tok;
for my $c (1 .. $clients) {
    $tok{$c} = $t->register_v2(sprintf('1360000%04d', $c), "secret$c")
        ->{access_token};
}

# Each client cycles: send a code to a new phone, register it, PUT its
# own nickname.  The tag says what to look for in the database when the
# answer was a success.  State lives in each client process.
my $round = 0;
my %sent;
sub mixed {
    my ($c, $i, $tt) = @_;

    if ($i % 3 == 0) {
        my $phone = sprintf('135%d%d%06d', $round, $c, $i);
        $sent{$c} = $phone;
        return ('POST', '/api/auth/send_code', { account => $phone },
            undef, { sent => $phone });
    }
    if ($i % 3 == 1) {
        my $phone = $sent{$c};
        return ('POST', '/api/auth/register',
            { account => $phone, code => $tt->code_for($phone) // '',
              password => "pw$phone" }, undef, { phone => $phone });
    }
    my $nick = "r$round-c$c-$i";
    return ('PUT', '/api/personal/info', { nickname => $nick },
        { -token => $tok{$c} }, { nick => $nick, client => $c });
}

# Every 200 answer was committed: registered users and their sessions
# exist, and each client's nickname is its last successful PUT or one
# attempted after it (a worker may die after COMMIT, before answering).
sub check_committed {
    my ($res, $what) = @_;
    my (%last_ok, %later, $missing);

    $missing = 0;
    for my $a (sort { $a->{client} <=> $b->{client} || $a->{i} <=> $b->{i} }
        @{ $res->{answers} })
    {
        my $tag = $a->{tag} // {};
        if ($tag->{phone}) {
            next if $a->{status} != 200 || ref($a->{data}) ne 'HASH'
                || $a->{data}{code} != 0;
            my $uid = $t->db_value(q{SELECT id FROM users
                WHERE app_id = '' AND phone = ?}, $tag->{phone});
            my $sid = $t->db_value('SELECT id FROM sessions WHERE user_id = ?
                AND access_hash = ?', $uid // 0,
                sha256_hex($a->{data}{data}{access_token} // ''));
            if (!$uid || !$sid) {
                $missing++;
                diag("$what: registered $tag->{phone} answered 200 but "
                    . 'is not in the database');
            }
        } elsif ($tag->{nick}) {
            my $c = $tag->{client};
            if ($a->{status} == 200 && ref($a->{data}) eq 'HASH'
                && $a->{data}{code} == 0)
            {
                $last_ok{$c} = $tag->{nick};
                $later{$c} = [];
            } else {
                push @{ $later{$c} }, $tag->{nick};
            }
        }
    }
    is($missing, 0, "$what: every registration answered 200 is committed");
    for my $c (sort keys %last_ok) {
        my $nick = $t->db_value('SELECT nickname FROM users WHERE id =
            (SELECT user_id FROM sessions WHERE access_hash = ?)',
            sha256_hex($tok{$c}));
        ok(scalar(grep { $_ eq $nick } $last_ok{$c}, @{ $later{$c} }),
            "$what: client $c: the last successful PUT is stored")
            or diag("stored '$nick', last ok '$last_ok{$c}', later: "
                . join(' ', @{ $later{$c} }));
    }
}

sub summary {
    my ($res) = @_;

    return join(', ', map { "$_: $res->{status}{$_}" }
        sort keys %{ $res->{status} });
}

# ---- kill -9 a worker under load ----------------------------------------------

my $master = $t->master_pid;
my @before = $t->worker_pids;
is(scalar(@before), 2, 'two workers') or diag("children: @before");
my ($victim, @after);

my $res = load(t => $t, clients => $clients, seconds => 30, stop => 1,
    request => \&mixed,
    during => sub {
        sleep(0.5);
        $victim = $before[0];
        $t->allow_log(qr/\b$victim\b/);
        kill('KILL', $victim);
        @after = @{ $t->wait_for(sub {
            my @w = $t->worker_pids;
            return (@w == 2 && !grep { $_ == $victim } @w) ? \@w : undef;
        }, 20) // [] };
        # Traffic for the new worker too.
        sleep(0.5);
    });
$round++;

cmp_ok($res->{ok}, '>', 0, 'requests were answered: ' . summary($res));
is(scalar(@after), 2, 'the master replaced the killed worker')
    or diag('workers now: ' . join(' ', $t->worker_pids));
ok(!grep({ $_ == $victim } @after), '... with a new pid');
is($t->master_pid, $master, '... the master stayed');
ok(kill(0, $master), '... and is alive');
cmp_ok($res->{failed}, '<=', 1,
    'at most the request in the killed worker failed');
ok(!grep({ $_ != 200 && $_ != 502 } keys %{ $res->{status} }),
    '... and only as a 502');
check_committed($res, 'kill -9');
ok(scalar(grep { /\b$victim\b/ && /signal|killed|SIGKILL/i }
    $t->log_lines('featcgi-error.log')), 'the error log names the crash')
    or diag(join("\n", grep { /\b$victim\b/ } $t->log_lines('featcgi-error.log')));

# The pool serves after the crash.
my ($st, $h, $j) = $t->get('/api/personal/info', { -token => $tok{1} });
is($j->{code}, 0, 'the pool serves after the crash');

# ---- SIGHUP under load: new config, new workers, no failed request -----------

@before = $t->worker_pids;
$t->write_conf(workers => 3);
my @reloaded;
$res = load(t => $t, clients => $clients, seconds => 30, stop => 1,
    request => \&mixed,
    during => sub {
        sleep(0.5);
        $t->signal('HUP');
        @reloaded = @{ $t->wait_for(sub {
            my @w = $t->worker_pids;
            my %old = map { $_ => 1 } @before;
            return (@w == 3 && !grep { $old{$_} } @w) ? \@w : undef;
        }, 30) // [] };
        sleep(0.5);
    });
$round++;

cmp_ok($res->{ok}, '>', 0, 'requests were answered: ' . summary($res));
is($res->{failed}, 0, 'no request failed across SIGHUP');
is(scalar(grep { ref($_->{data}) ne 'HASH' || $_->{data}{code} != 0 }
    @{ $res->{answers} }), 0,
    '... and every answer is a success')
    or diag(explain([ grep { ref($_->{data}) ne 'HASH'
        || $_->{data}{code} != 0 } @{ $res->{answers} } ]->[0]));
is(scalar(@reloaded), 3, 'workers replaced, as many as the new config says')
    or diag('before: @before; now: ' . join(' ', $t->worker_pids));
is($t->master_pid, $master, '... by the same master');
check_committed($res, 'SIGHUP');

$t->stop;

# ---- SIGTERM lets in-flight requests end -------------------------------------

# Slow password hashing (scrypt N = 2^16) keeps a login in flight long
# enough to signal the master while two workers are inside one.  Three
# hashing workers: one always stays out of password work
# (scrypt.max_concurrent).
# scrypt.nice 0: at nice 10 a hash on a machine busy with other tests can
# outlast the stop's 10 s, which is not what this test is about.
my $t2 = FeatTest->new('scrypt.ln' => 16, 'scrypt.max_concurrent' => 2,
    workers => 2, hash_workers => 3, 'scrypt.nice' => 0);
$t2->register_v2('13600009999', 'slowpass1');

sub cpu_ticks {
    my ($pid) = @_;
    my $stat = FeatTest::_slurp("/proc/$pid/stat");
    my @f = split(' ', substr($stat, rindex($stat, ')') + 2));

    return ($f[11] // 0) + ($f[12] // 0);
}

my @w = ($t2->worker_pids, $t2->hash_worker_pids);
my %ticks = map { $_ => cpu_ticks($_) } @w;
my $sock = $t2->conf->{listen};
my $term_sent = 0;
$res = load(t => $t2, clients => 2, seconds => 60, requests => 1,
    request => sub {
        return ('POST', '/api/auth/access_token',
            { account => '13600009999', password => 'slowpass1' });
    },
    during => sub {
        # Two workers are busy hashing when two burn CPU.
        $t2->wait_for(sub {
            return grep({ cpu_ticks($_) - $ticks{$_} >= 3 } @w) >= 2;
        }, 20);
        $term_sent = $t2->signal('TERM');
    });

ok($term_sent, 'SIGTERM sent while two logins were in flight');
is($res->{total}, 2, 'both clients got an answer');
is($res->{ok}, 2, '... both 200: ' . summary($res));
is(scalar(grep { ref($_->{data}) eq 'HASH' && $_->{data}{code} == 0 }
    @{ $res->{answers} }), 2, '... both logged in');
my $exit = $t2->wait_exit(30);
is($exit, 0, 'the master exited 0 after SIGTERM');
ok(!-e $sock, '... and removed its socket');
ok($t2->wait_for(sub { !grep { kill(0, $_) } @w }, 10),
    '... leaving no worker');
is($t2->db_value('SELECT count(*) FROM sessions'), 3,
    'the two in-flight logins were committed');

$t2->stop;
done_testing;

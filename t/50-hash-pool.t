#!/usr/bin/perl

# 50-hash-pool.t: the password routes have a pool of their own (issue 15).
#
# With "hash_listen" set, the master binds a second socket served by
# "hash_workers" workers, and the shipped nginx locations send the routes
# flagged FEAT_HASH there ($feat_pool in featcgi-maps.conf).  Proved without
# timing: the hashing pool is frozen (SIGSTOP), and then every password
# route hangs while everything else is answered; thawed, the hung requests
# complete.  Also: the pools' workers hold only their own socket, the
# counts follow the config and a reload, and one hashing worker always
# stays out of hashing so that logins beyond the cap are refused at once.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use POSIX ();
use Time::HiRes qw(sleep);
use FeatTest;
use Test::More;

my $t = FeatTest->new(workers => 2, hash_workers => 2,
    'code.ip_hourly_limit' => 1000, 'login.ip_max_failures' => 1000);
my $JSON = FeatTest::json();

my $PHONE = '13900000011';
my $PASS = 'pool-pass-1';
my $reg = $t->register_v2($PHONE, $PASS);
my $token = $reg->{access_token};

# ---- the pools' processes ---------------------------------------------------

my @main = $t->worker_pids;
my @hash = $t->hash_worker_pids;
is(scalar(@main), 2, 'two workers on the main socket');
is(scalar(@hash), 2, 'two workers on the hashing socket');
my %both;
$both{$_}++ for @main, @hash;
ok(!grep({ $both{$_} > 1 } keys %both),
    'no worker holds both sockets') or diag("main @main, hash @hash");
ok(-S $t->conf->{hash_listen}, 'the hashing socket exists');
ok(grep({ /started: 2 workers, 2 hashing/ } $t->log_lines('featcgi-error.log')),
    'the start is logged with both pools');

# ---- freeze the hashing pool: password routes wait, the rest is served ------

# Runs $sub in a child; answers [pid, read end] to collect() later.
sub in_child {
    my ($sub) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork();
    die "fork: $!" if !defined $pid;
    if ($pid == 0) {
        close($r);
        my @res = $sub->();
        print {$w} $JSON->encode([ $res[0], $res[2] ]);
        close($w);
        POSIX::_exit(0);
    }
    close($w);
    return [ $pid, $r ];
}

sub collect {
    my ($k) = @_;
    my $fh = $k->[1];
    local $/;
    my $text = <$fh>;
    waitpid($k->[0], 0);
    return $text ? $JSON->decode($text) : [ 0, undef ];
}

sub alive { return waitpid($_[0][0], POSIX::WNOHANG()) == 0 }

kill('STOP', @hash);

my %hashing = (
    'v2 login' => sub {
        $t->post('/api/auth/access_token',
            { account => $PHONE, password => $PASS })
    },
    'feat login' => sub {
        $t->post('/api/auth/login/',
            { phone => $PHONE, password => $PASS })
    },
    'v1 get_token' => sub {
        $t->get("/api/get_token?account=$PHONE&password=$PASS")
    },
);
my %held;
$held{$_} = in_child($hashing{$_}) for sort keys %hashing;

# Everything else still has both of its workers.
for my $i (1 .. 6) {
    my ($st, undef, $d) = $t->get('/api/personal/info',
        { Authorization => "Token $token" });
    is($st, 200, "read $i answered while the hashing pool is frozen")
        or last;
}
my ($st, undef, $d) = $t->post('/api/feedback',
    { feedback_content => 'written while logins wait' },
    { Authorization => "Token $token" });
is($d->{code}, 0, 'a write answered while the hashing pool is frozen');
is($t->db_value('SELECT count(*) FROM feedback WHERE content = ?',
    'written while logins wait'), 1, 'and stored');

# A frozen pool never answers: give the held requests every chance to
# finish anyway (they would, within milliseconds, if nginx sent them to
# the main pool), then check that none did.
for (1 .. 20) {
    last if grep { !alive($held{$_}) } keys %held;
    sleep(0.05);
}
for my $name (sort keys %held) {
    ok(alive($held{$name}), "$name waits for the frozen hashing pool");
}
is($t->db_value('SELECT count(*) FROM sessions s JOIN users u'
    . ' ON u.id = s.user_id WHERE u.phone = ?', $PHONE), 1,
    'no session made while the hashing pool is frozen');

kill('CONT', @hash);

my %ans = map { $_ => collect($held{$_}) } sort keys %held;
is($ans{'v2 login'}[0], 200, 'thawed: the v2 login is answered');
is($ans{'v2 login'}[1]{code}, 0, 'thawed: the v2 login succeeds')
    or diag(explain($ans{'v2 login'}));
ok(defined $ans{'feat login'}[1]{data}{key},
    'thawed: the feat login succeeds') or diag(explain($ans{'feat login'}));
is($ans{'v1 get_token'}[0], 200, 'thawed: v1 get_token is answered');
ok($t->db_value('SELECT count(*) FROM sessions s JOIN users u'
    . ' ON u.id = s.user_id WHERE u.phone = ?', $PHONE) >= 3,
    'thawed: their sessions are stored');

# ---- a reload keeps both pools -------------------------------------------------

$t->write_conf(hash_workers => 3);
my %old = map { $_ => 1 } @main, @hash;
$t->signal('HUP');
# the old workers leave once idle; the new ones are all that hold a socket
my $settled = $t->wait_for(sub {
    my @h = $t->hash_worker_pids;
    my @m = $t->worker_pids;
    return (@h == 3 && @m == 2 && !grep { $old{$_} } @h, @m) ? 1 : undef;
}, 60);
ok($settled, 'reload: the old workers replaced')
    or diag('main ' . join(' ', $t->worker_pids) . ', hash '
        . join(' ', $t->hash_worker_pids));
is(scalar($t->hash_worker_pids), 3, 'reload: three hashing workers');
is(scalar($t->worker_pids), 2, 'reload: still two main workers');
($st, undef, $d) = $t->post('/api/auth/access_token',
    { account => $PHONE, password => $PASS });
is($d->{code}, 0, 'reload: a login is served');

done_testing();

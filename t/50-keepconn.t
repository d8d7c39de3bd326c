#!/usr/bin/perl

# 50-keepconn.t: kept-alive FastCGI connections (issue 15's moonshot).
# nginx keeps its connections to featcgi open (fastcgi_keep_conn on,
# keepalive in the upstream): a run of requests costs a connection or two,
# not one each.  A worker holds many connections and serves whichever
# brings a request, so an idle kept connection pins nobody; it holds at
# most worker_connections.  A body the answer did not read, a reload and
# a stop end a kept connection the safe way: the answer is followed by a
# record after FCGI_END_REQUEST (nginx then closes it), never by a close
# from featcgi's side that a request sent just then would meet.

use strict;
use warnings;

use lib 't/lib';
use FeatFcgi qw(fcgi_request fcgi_connect fcgi_answer);
use FeatTest;
use IO::Select;
use Test::More;
use Time::HiRes qw(sleep);

my $t = FeatTest->new(workers => 2);
my $token = $t->register_v2('13700000001', 'secret1')->{access_token};
my $uid = $t->db_value('SELECT id FROM users WHERE phone = ?',
    '13700000001');

sub pool {
    my ($st, $h, $j) = $t->get('/healthz');
    return $j->{pool};
}

# Stops the nginx of $x (it closes every connection it kept).
sub stop_nginx {
    my ($x) = @_;
    my $pid = delete $x->{pids}{nginx};

    kill('TERM', $pid);
    waitpid($pid, 0);
}

sub info_ok {
    my ($a, $what) = @_;
    my $j = eval { FeatTest::json()->decode($a->{body}) } // {};

    ok($a->{end} && $a->{status} == 200 && ($j->{code} // -1) == 0
        && ($j->{data}{id} // 0) == $uid, $what)
        or diag(explain($a));
}

# ---- through nginx: many requests, few connections --------------------------

my $before = pool();
for my $i (1 .. 60) {
    my ($st) = $t->get('/api/personal/info', { -token => $token });
    die "info: $st" if $st != 200;
}
my $after = pool();
is($after->{requests} - $before->{requests}, 61,
    'nginx: 60 reads (and a /healthz) answered');
cmp_ok($after->{connections} // 0, '>', 0,
    '/healthz counts the FastCGI connections accepted');
cmp_ok($after->{connections} - $before->{connections}, '<', 10,
    '... on a few kept connections, not one each ('
    . ($after->{connections} - $before->{connections}) . ')');

# ---- one connection, several requests -----------------------------------------

my $k = fcgi_connect($t->{sock}) or die "connect: $!";
for my $i (1 .. 3) {
    syswrite($k, fcgi_request(token => $token, keep => 1));
    my $a = fcgi_answer($k);
    info_ok($a, "kept connection: request $i answered");
    ok(!$a->{eof} && !@{ $a->{after} }, '... and the connection stays open');
}

# A write on a kept connection, then a read on the same one: in order.
syswrite($k, fcgi_request(token => $token, keep => 1, method => 'PUT',
    body => '{"nickname":"kept"}'));
my $a = fcgi_answer($k);
is($a->{status}, 200, 'kept connection: a PUT with a body answered');
ok(!@{ $a->{after} }, '... its body read through: the connection stays');
is($t->db_value('SELECT nickname FROM users WHERE id = ?', $uid), 'kept',
    '... and stored');
syswrite($k, fcgi_request(token => $token, keep => 1));
info_ok(fcgi_answer($k), '... the next request on it answered');

# ---- an idle kept connection pins nobody ----------------------------------------

# Two workers, twenty connections open at once, asked in the reverse order
# of their opening: a worker that waited on one connection only (libfcgi's
# way) would leave most of them unanswered.
my @c = map { fcgi_connect($t->{sock}) or die "connect: $!" } 1 .. 20;
my $answered = 0;
for my $round (1 .. 2) {
    for my $s (reverse @c) {
        syswrite($s, fcgi_request(token => $token, keep => 1));
        my $r = fcgi_answer($s);
        $answered++ if $r->{end} && $r->{status} == 200 && !$r->{eof};
    }
}
is($answered, 40, '20 kept connections, asked twice each: all answered');
close($_) for @c;

# ---- a body not read: nginx is told to drop the connection ---------------------

my $g = fcgi_connect($t->{sock}) or die "connect: $!";
syswrite($g, fcgi_request(keep => 1, method => 'POST',
    path => '/api/no/such/route', body => 'x' x 100_000,
    content_type => 'application/octet-stream'));
$a = fcgi_answer($g);
is($a->{status}, 404, 'a body on an unknown path: 404');
is_deeply($a->{after}, [ 11 ],
    '... then one record after the end (FCGI_UNKNOWN_TYPE): go away');
ok(!$a->{eof}, '... and featcgi leaves the close to the client');
close($g);

# ---- worker_connections -------------------------------------------------------

{
    my $u = FeatTest->new(workers => 1, worker_connections => 2,
        hash_listen => undef);
    my $tok = $u->register_v2('13700000002', 'secret2')->{access_token};

    # nginx's own kept connections would take the two slots: it goes
    stop_nginx($u);
    my @h = map { fcgi_connect($u->{sock}) or die "connect: $!" } 1 .. 3;

    for my $i (0, 1) {
        syswrite($h[$i], fcgi_request(token => $tok, keep => 1));
        ok(fcgi_answer($h[$i])->{end}, "worker_connections 2: connection "
            . ($i + 1) . ' answered and kept');
    }
    syswrite($h[2], fcgi_request(token => $tok, keep => 1));
    ok(!IO::Select->new($h[2])->can_read(1),
        '... a third waits unaccepted while the worker holds two');
    close($h[0]);
    $a = fcgi_answer($h[2], 20);
    ok($a->{end} && $a->{status} == 200,
        '... and is answered once one of them closes');
    close($_) for @h[1, 2];
    $u->stop;
}

# ---- a reload: the next answer on a kept connection says go away --------------

$k = fcgi_connect($t->{sock}) or die "connect: $!";
syswrite($k, fcgi_request(token => $token, keep => 1));
info_ok(fcgi_answer($k), 'before the reload: a kept connection');
my %old = map { $_ => 1 } $t->worker_pids;
$t->signal('HUP');
ok($t->wait_for(sub { grep { !$old{$_} } $t->worker_pids }),
    'reload: new workers');
# The master forks each new worker before it tells the old one, and a
# worker hears the signal between two requests: a request sent while the
# signal is on its way is answered plainly.  Every answer is the user's,
# and one of the next few ends in the go away.
my $tries = 0;
do {
    syswrite($k, fcgi_request(token => $token, keep => 1));
    $a = fcgi_answer($k);
    info_ok($a, 'reload: a request on the old kept connection is answered');
} while ($a->{end} && !@{ $a->{after} // [] } && ++$tries < 20
    && sleep(0.05));
is_deeply($a->{after}, [ 11 ], '... with the go away after its end');
close($k);
ok($t->wait_for(sub { !grep { $old{$_} } $t->worker_pids }),
    'reload: the old workers leave once their connections are closed '
    . '(nginx closes its idle ones after keepalive_timeout)');
my ($st) = $t->get('/api/personal/info', { -token => $token });
is($st, 200, 'reload: nginx serves through the new workers');

# ---- a stop: a kept connection is still served while the pool drains ----------

$k = fcgi_connect($t->{sock}) or die "connect: $!";
syswrite($k, fcgi_request(token => $token, keep => 1));
info_ok(fcgi_answer($k), 'before the stop: a kept connection');
my $late = fcgi_connect($t->{sock}) or die "connect: $!";
syswrite($late, fcgi_request(token => $token, keep => 1));
info_ok(fcgi_answer($late), '... and a second one');
stop_nginx($t);         # nginx's own kept connections go now
$t->signal('TERM');
ok($t->wait_for(sub { !-e $t->{sock} }), 'stop: the socket file goes');
syswrite($k, fcgi_request(token => $token, keep => 1));
$a = fcgi_answer($k);
info_ok($a, 'stop: a request on a kept connection is still answered');
is_deeply($a->{after}, [ 11 ], '... with the go away after its end');
close($k);

# The second connection stays idle: after the drain's 8 s the worker
# closes it itself, says so, and the master exits on its own.
is($t->wait_exit(30), 0, 'stop: the master exits, status 0');
my $log = FeatTest::_slurp("$t->{dir}/log/featcgi-error.log");
like($log, qr/1 kept-alive connection still open 8 s after the worker began to stop: closed/,
    '... after the worker closed the idle kept connection, and said so');
unlike($log, qr/killing/, '... nobody killed');
ok(IO::Select->new($late)->can_read(5) && !sysread($late, my $x, 1),
    '... that connection is closed');
close($late);

done_testing();

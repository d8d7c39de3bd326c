#!/usr/bin/perl

# 10-client-address.t: where the client's address comes from (issue 12,
# finding 8).  featcgi takes it once, for every use (rate limits, the
# logs, payments): the peer nginx saw, unless that peer is one of
# trusted_proxies (default none); only then do X-Forwarded-For (nearest
# untrusted entry, from the right) or X-Real-IP name the client.  The
# address a failed login is counted under shows which one was taken.
# The shipped nginx site's real_ip lines, uncommented, make nginx do the
# same.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use File::Temp qw(tempdir);
use IO::Socket::INET;
use FeatTest;
use Test::More;

my ($st, $h, $j);

# The address the failed login just sent was counted under.
sub counted_as {
    my ($t, %hd) = @_;
    $t->dbh->do(q{DELETE FROM rate_events});
    ($st, $h, $j) = $t->post('/api/auth/access_token',
        { account => '13911112222', password => 'not-the-pass' }, {%hd});
    my $keys = $t->db_rows(q{SELECT key FROM rate_events
        WHERE bucket = 'login_fail_ip'});
    return join(',', map { $_->{key} } @$keys);
}

# ---- no trusted proxies: the headers are the client's own words ------------

my $t = FeatTest->new();
is(counted_as($t), '127.0.0.1', 'no header: the peer, 127.0.0.1');
is(counted_as($t, 'X-Forwarded-For' => '203.0.113.7'), '127.0.0.1',
    'X-Forwarded-For from an untrusted peer: ignored');
is(counted_as($t, 'X-Real-IP' => '203.0.113.7'), '127.0.0.1',
    'X-Real-IP from an untrusted peer: ignored');
$t->stop;

# ---- the peer is a trusted proxy ---------------------------------------------

$t = FeatTest->new(trusted_proxies => '10.9.0.0/16, 127.0.0.1 ::1');
is(counted_as($t, 'X-Forwarded-For' => '203.0.113.7'), '203.0.113.7',
    'X-Forwarded-For from a trusted peer: the client');
is(counted_as($t, 'X-Forwarded-For' => '198.51.100.1, 203.0.113.8'),
    '203.0.113.8', '... the nearest entry, not what the client wrote first');
is(counted_as($t, 'X-Forwarded-For' => '203.0.113.9, 10.9.1.1,127.0.0.1'),
    '203.0.113.9', '... trusted hops are skipped');
is(counted_as($t, 'X-Forwarded-For' => '10.9.1.2, 127.0.0.1'), '10.9.1.2',
    '... every hop trusted: the leftmost');
is(counted_as($t, 'X-Forwarded-For' => 'evil, 203.0.113.10'),
    '203.0.113.10', '... the walk stops at a non-address, keeping its find');
is(counted_as($t, 'X-Forwarded-For' => '203.0.113.11:443'), '127.0.0.1',
    '... a malformed entry alone: the peer');
is(counted_as($t, 'X-Forwarded-For' => '2001:db8::5'), '2001:db8::5',
    '... an IPv6 client');
is(counted_as($t, 'X-Real-IP' => '203.0.113.12'), '203.0.113.12',
    'X-Real-IP alone from a trusted peer: the client');
is(counted_as($t, 'X-Real-IP' => 'not an address'), '127.0.0.1',
    '... a malformed one: the peer');

my @acc = grep { /POST \/api\/auth\/access_token/ }
    $t->log_lines('featcgi-access.log');
like($acc[-2] // '', qr/ 203\.0\.113\.12 /,
    'featcgi\'s access log names the client');
$t->stop;

# ---- a malformed list stops featcgi at start ----------------------------------

$t = FeatTest->new(-no_start => 1);
$t->write_conf(trusted_proxies => '127.0.0.1, 10.0.0.0/99');
my $out = `'${\ FeatTest::builddir()}/featcgi' -t -c '${\ $t->conf_file}' 2>&1`;
isnt($? >> 8, 0, 'featcgi -t with a bad trusted_proxies entry: fails');
like($out, qr/trusted_proxies.*10\.0\.0\.0\/99/, '... naming the entry');
$t->stop;

# ---- nginx: the shipped site's real_ip lines --------------------------------

my $nginx = FeatTest::_nginx_binary();
my $site = FeatTest::_slurp(FeatTest::srcdir() . '/nginx/featcgi-site.conf');
my @real = $site =~ /^#((?:set_real_ip_from|real_ip_header|real_ip_recursive)\b[^\n]*)$/mg;
is(scalar(@real), 3, 'the shipped site has the three real_ip lines, commented');
s/^set_real_ip_from \S+;/set_real_ip_from 127.0.0.1;/ for @real;

my $dir = tempdir('featcgi-realip-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir("$dir/$_") for qw(log tmp);
my $port = FeatTest::_free_port({});
FeatTest::nginx_conf($dir, 'error.log', <<"HTTP");
access_log off;
    @{[ join("\n    ", @real) ]}
    server {
        listen 127.0.0.1:$port;
        location / { return 200 "\$remote_addr"; }
    }
HTTP
$out = `$nginx -t -p $dir -c $dir/nginx.conf 2>&1`;
is($?, 0, 'nginx -t accepts the real_ip lines uncommented') or diag($out);

my $pid = FeatTest::nginx_spawn($nginx, $dir, 'stdout');

sub remote_addr {
    my ($xff) = @_;
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, Timeout => 5);
        if ($s) {
            print $s "GET / HTTP/1.1\r\nHost: x\r\n"
                . "X-Forwarded-For: $xff\r\nConnection: close\r\n\r\n";
            local $/;
            my $a = <$s> // '';
            $a =~ s/^.*\r\n\r\n//s;
            return $a;
        }
        select(undef, undef, undef, 0.05);
    }
    return undef;
}

is(remote_addr('198.51.100.1, 203.0.113.20'), '203.0.113.20',
    'nginx with the lines: $remote_addr is the nearest X-Forwarded-For entry');
kill('TERM', $pid);
waitpid($pid, 0);

done_testing;

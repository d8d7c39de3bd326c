#!/usr/bin/perl

# 10-nginx-errors.t: nginx's own error pages (issue 12, finding 11).  What
# nginx answers itself, before or instead of featcgi, is JSON in the
# dialect of the path, with X-Request-Id, never nginx's HTML: a malformed
# request line (400), a URI over its buffers (414), a missing Host or a
# broken header line (400), headers over its buffers (494 as 400), a body
# over client_max_body_size (413), no such file under /media/ (404), and
# the pool stopped (502).  Where the request line was never read there is
# no path: the default dialect (v2) answers.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use IO::Socket::INET;
use Test::More;

my $t = FeatTest->new(max_upload => '64k');

# Sends bytes as they are; answers (status, headers (lower-case), body).
sub raw {
    my ($bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Timeout => 30) or die "connect: $!";

    print $s $bytes;
    local $/;
    my $a = <$s> // '';
    my ($head, $body) = split(/\r\n\r\n/, $a, 2);
    my ($st) = ($head // '') =~ m{^HTTP/1\.\d (\d+)};
    my %h = map { /^([^:]+):\s*(.*)$/ ? (lc $1, $2) : () }
        split(/\r\n/, $head // '');
    return ($st // 0, \%h, $body // '');
}

my %want = (
    v2     => [ 'code', 10005 ],
    v1     => [ 'code', 10012 ],
    feat   => [ 'code', 'invalid' ],
    oauth2 => [ 'error', 'invalid_request' ],
);
my %paths = (v2 => '/api/personal/info', v1 => '/check/register',
    feat => '/api/user/profile/', oauth2 => '/o/token/');

# Checks one answer: status, JSON, X-Request-Id, the dialect's form.
sub json_is {
    my ($got, $status, $key, $value, $what) = @_;
    my ($st, $h, $body) = @$got;

    is($st, $status, "$what: $status");
    like($h->{'content-type'} // '', qr{^application/json}, '... JSON');
    like($h->{'x-request-id'} // '', qr/^[0-9a-f]{32}$/, '... X-Request-Id');
    unlike($body, qr/<html|<center>|nginx/i, '... no HTML page');
    my $j = eval { FeatTest::json()->decode($body) } // {};
    is($j->{$key}, $value, "... $key $value");
    return $j;
}

# ---- request lines nginx cannot read: the default dialect --------------------

json_is([ raw("GET /api/user/profile/?q=" . ('x' x 12000)
    . " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n") ],
    414, 'code', 10005, 'a 12 KB URI on a feat path');
json_is([ raw("GET /api/faq HTTP/1.1 junk\r\nHost: localhost\r\n"
    . "Connection: close\r\n\r\n") ],
    400, 'code', 10005, 'a malformed request line');
json_is([ raw("\x16\x03\x01\x02\x00garbage\r\n\r\n") ],
    400, 'code', 10005, 'TLS bytes on the plain port');

# ---- headers nginx refuses: the path's dialect -------------------------------

for my $d (sort keys %paths) {
    my ($k, $v) = @{ $want{$d} };
    my $p = $paths{$d};
    json_is([ raw("GET $p?a=b HTTP/1.1\r\nConnection: close\r\n\r\n") ],
        400, $k, $v, "$d: no Host on $p");
    json_is([ raw("GET $p HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n"
        . "Connection: close\r\n\r\n") ],
        400, $k, $v, "$d: a broken header line on $p");
    json_is([ raw("GET $p HTTP/1.1\r\nHost: localhost\r\nX-Pad: "
        . ('y' x 40000) . "\r\nConnection: close\r\n\r\n") ],
        400, $k, $v, "$d: a 40 KB header on $p (494)");
}

my $j = json_is([ raw("POST /api/user/profile/ HTTP/1.1\r\nHost: localhost\r\n"
    . "Content-Length: 70000\r\nConnection: close\r\n\r\n") ],
    413, 'code', 'request_too_large', 'a body over client_max_body_size');

# ---- /media/ -----------------------------------------------------------------

json_is([ raw("GET /media/ab/nope.png HTTP/1.1\r\nHost: localhost\r\n"
    . "Connection: close\r\n\r\n") ],
    404, 'code', 10002, 'no such file under /media/');
json_is([ raw("GET /media/ HTTP/1.1\r\nHost: localhost\r\n"
    . "Connection: close\r\n\r\n") ],
    404, 'code', 'not_found', 'the /media/ directory itself (feat by shape)');

# ---- the pool stopped: 502 ---------------------------------------------------

$t->signal('TERM');
ok(defined $t->wait_exit(30), 'featcgi stopped');

my %gone = (
    # v2's 10000 says seeds/004's text of the code (issue 12)
    v2     => [ 'code', 10000, '通用错误码' ],
    v1     => [ 'code', 10000, '服务暂时不可用, 请稍后再试' ],
    feat   => [ 'code', 'service_unavailable', '服务暂时不可用, 请稍后再试' ],
    oauth2 => [ 'error', 'temporarily_unavailable',
        'service temporarily unavailable' ],
);
for my $d (sort keys %paths) {
    my ($k, $v, $text) = @{ $gone{$d} };
    $j = json_is([ raw("GET $paths{$d} HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n") ],
        502, $k, $v, "$d: $paths{$d} with the pool down");
    my $msg = $j->{message} // $j->{detail} // $j->{error_description} // '';
    is($msg, $text, '... with its text');
}
json_is([ raw("GET /api/get_token?account=1&password=x HTTP/1.1\r\n"
    . "Host: localhost\r\nConnection: close\r\n\r\n") ],
    502, 'code', 10000, 'v1 get_token (its own location) with the pool down');

$t->allow_log(qr/connect\(\) to unix:.* failed/);
$t->stop;
done_testing;

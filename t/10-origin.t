#!/usr/bin/perl
# Absolute URLs in answers (feat paging links, image URLs, the login
# successor Link) take their scheme and host from config public_url, else
# from a Host header that is a plain host[:port]; anything else in Host
# (which a misconfigured nginx might pass on) gives http://localhost.

use strict;
use warnings;

use lib 't/lib';
use IO::Socket::INET;
use Test::More;

use FeatTest;

# The Link header of POST /api/auth/login/ sent with this Host header.
sub login_link {
    my ($t, $host) = @_;
    my $body = '{"phone":"13800000009","password":"nope-nope"}';
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Timeout => 10) or die "connect: $!";

    print $s "POST /api/auth/login/ HTTP/1.1\r\nHost: $host\r\n"
        . "Content-Type: application/json\r\n"
        . 'Content-Length: ' . length($body) . "\r\n"
        . "Connection: close\r\n\r\n$body";
    local $/;
    my $answer = <$s> // '';
    return $answer =~ /^Link: (.*?)\r$/mi ? $1 : undef;
}

my $t = FeatTest->new();
my $port = $t->port;

is(login_link($t, "127.0.0.1:$port"),
    "<https://127.0.0.1:$port/o/token/>; rel=\"successor-version\"",
    'a plain host:port is used (https for the OAuth2 successor)');
is(login_link($t, 'api.example.com'),
    '<https://api.example.com/o/token/>; rel="successor-version"',
    'a plain name is used');
is(login_link($t, '[::1]:8443'),
    '<https://[::1]:8443/o/token/>; rel="successor-version"',
    'a bracketed IPv6 address with a port is used');
for my $bad ('evil_host.example', 'a.example:99999', 'a.example:',
    '[::1', 'a.example:80x')
{
    is(login_link($t, $bad),
        '<https://localhost/o/token/>; rel="successor-version"',
        "Host \"$bad\" is not echoed: localhost");
}
$t->stop;

# With public_url set, Host does not matter at all.
my $p = FeatTest->new(public_url => 'https://api.example.org');
is(login_link($p, '127.0.0.1:' . $p->port),
    '<https://api.example.org/o/token/>; rel="successor-version"',
    'public_url wins over Host');
$p->stop;

done_testing();

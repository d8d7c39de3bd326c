#!/usr/bin/perl
# Absolute URLs in answers (feat paging links, image URLs, the login
# successor Link) take their scheme and host from config public_url, else
# from a Host header that is a plain host[:port]; anything else in Host
# (which a misconfigured nginx might pass on) gives http://localhost.  With
# server_names listed, a Host that is none of them gives the first.

use strict;
use warnings;

use lib 't/lib';
use FeatImage;
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

# One request over a raw socket with this Host (HTTP::Tiny sets its own):
# (status, decoded JSON body).
sub raw {
    my ($t, $method, $path, $host, $headers, $body) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port, Timeout => 10) or die "connect: $!";

    $body //= '';
    print $s "$method $path HTTP/1.0\r\nHost: $host\r\n"
        . join('', map { "$_: $headers->{$_}\r\n" } sort keys %$headers)
        . 'Content-Length: ' . length($body) . "\r\n"
        . "Connection: close\r\n\r\n$body";
    local $/;
    my $answer = <$s> // '';
    my ($st) = $answer =~ m{^HTTP/1\.\d (\d+)};
    my ($json) = $answer =~ /\r\n\r\n(.*)$/s;
    return ($st, eval { FeatTest::json()->decode($json) } // {});
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

# With server_names, only a listed name reaches an answer; any other Host,
# a forged one, gives the first name listed (issue 12, finding 10).
my $n = FeatTest->new(server_names => 'api.example.com, 127.0.0.1 '
    . 'shop.example.com:8443');
my $np = $n->port;
is(login_link($n, "127.0.0.1:$np"),
    "<https://127.0.0.1:$np/o/token/>; rel=\"successor-version\"",
    'server_names: a listed name with any port is used');
is(login_link($n, 'API.example.COM'),
    '<https://API.example.COM/o/token/>; rel="successor-version"',
    '... matched without case');
is(login_link($n, 'shop.example.com:8443'),
    '<https://shop.example.com:8443/o/token/>; rel="successor-version"',
    '... a listed name:port');
for my $forged ('evil.example', 'evil.example:' . $np,
    'shop.example.com:9999', 'api.example.com.evil.example', 'evil_host')
{
    is(login_link($n, $forged),
        '<https://api.example.com/o/token/>; rel="successor-version"',
        "... a forged Host \"$forged\" gives the first name");
}

# the paging links and image URLs of a feat answer follow the same rule
{
    my $tok = $n->register_v2('13800000019', 'secret0019')->{access_token};
    my $png = FeatImage::png(1, 1);
    my $b = 'originBoundary';
    my $body = "--$b\r\nContent-Disposition: form-data; name=\"image\";"
        . " filename=\"a.png\"\r\n\r\n$png\r\n--$b--\r\n";
    my ($st, $j);
    for (1 .. 2) {
        ($st, $j) = raw($n, 'POST', '/api/user/user-image/', 'evil.example',
            { Authorization => "Token $tok",
              'Content-Type' => "multipart/form-data; boundary=$b" }, $body);
        is($st, 201, 'an image uploaded with a forged Host');
    }
    like($j->{data}{url} // '', qr{^http://api\.example\.com/media/},
        '... answered with the first server name in its URL');
    ($st, $j) = raw($n, 'GET', '/api/user/user-image/?page_size=1',
        'evil.example', { Authorization => "Token $tok" });
    like($j->{data}{next} // '', qr{^http://api\.example\.com/api/user/},
        '... the next page link names the first server name');
    like($j->{data}{results}[0]{url} // '',
        qr{^http://api\.example\.com/media/},
        '... and so does the image URL');
    ($st, undef, $j) = $n->get('/api/user/user-image/?page_size=1',
        { -token => $tok });
    like($j->{data}{next} // '', qr{^http://127\.0\.0\.1:$np/},
        '... a listed Host keeps its own');
}
$n->stop;

# With public_url set, Host does not matter at all.
my $p = FeatTest->new(public_url => 'https://api.example.org');
is(login_link($p, '127.0.0.1:' . $p->port),
    '<https://api.example.org/o/token/>; rel="successor-version"',
    'public_url wins over Host');
$p->stop;

done_testing();

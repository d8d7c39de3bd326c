#!/usr/bin/perl
# The shipped production site (nginx/featcgi-site.conf) is a working nginx
# configuration: nginx -t accepts it with stand-in certificates, and run on
# loopback ports it closes requests for hosts that are not ours, redirects
# plain HTTP to HTTPS, and passes our hosts to featcgi over TLS.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use IO::Socket::INET;
use Test::More;

use FeatTest;

my $nginx = FeatTest::_nginx_binary()
    or BAIL_OUT('no nginx (set FEAT_NGINX)');
system('openssl version >/dev/null 2>&1') == 0
    or BAIL_OUT('no openssl command');

my $dir = tempdir('featcgi-site-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir("$dir/$_") for qw(log snippets tmp media console);

# the console's pages, a stand-in: the site serves whatever is there
open(my $pagefh, '>', "$dir/console/index.html") or die;
print $pagefh "<!doctype html><title>console</title>\n";
close($pagefh);

# stand-in certificates for both names (openssl's progress dots muted)
open(my $stderr, '>&', \*STDERR) or die;
open(STDERR, '>', '/dev/null') or die;
for my $host (qw(api.example.com shop.example.com)) {
    system('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
        '-days', '1', '-subj', "/CN=$host", '-keyout', "$dir/$host.key",
        '-out', "$dir/$host.pem") == 0
        or BAIL_OUT("openssl req for $host failed");
}
open(STDERR, '>&', $stderr) or die;

my %port = (http => FeatTest::_free_port({}), https => 0);
$port{https} = FeatTest::_free_port({ $port{http} => 1 });

# The site as shipped, with only its machine-specific paths and ports moved
# into the temp dir.
my $site = FeatTest::_slurp(FeatTest::srcdir() . '/nginx/featcgi-site.conf');
$site =~ s{/etc/ssl/(?:certs|private)/([\w.]+)\.(pem|key)}{$dir/$1.$2}g;
$site =~ s{/var/log/nginx/}{$dir/log/}g;
$site =~ s{/var/lib/featcgi/media/}{$dir/media/}g;
$site =~ s{/usr/share/featcgi/console/}{$dir/console/}g;
$site =~ s{unix:/run/featcgi/featcgi\.sock}{unix:$dir/featcgi.sock}g;
$site =~ s{include snippets/}{include $dir/snippets/}g;
$site =~ s{listen \[::\]:\d+[^;]*;\n}{}g;
$site =~ s{listen 80\b}{listen 127.0.0.1:$port{http}}g;
$site =~ s{listen 443\b}{listen 127.0.0.1:$port{https}}g;
$site =~ s{ http2;}{;}g;

for my $f (qw(fastcgi-feat.conf featcgi-locations.conf featcgi-maps.conf
    featcgi-console.conf))
{
    my $s = FeatTest::_slurp(FeatTest::srcdir() . "/nginx/$f");
    open(my $fh, '>', "$dir/snippets/$f") or die;
    print $fh $s;
    close($fh);
}

FeatTest::nginx_conf($dir, 'nginx-error.log',
    "include /etc/nginx/mime.types;\n    $site");

my $out = `$nginx -t -p $dir -c $dir/nginx.conf 2>&1`;
is($?, 0, 'nginx -t accepts the shipped site') or diag($out);

my $pid = FeatTest::nginx_spawn($nginx, $dir, 'nginx.stdout');

sub raw_http {
    my ($port, $host) = @_;
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, Timeout => 5);
        if ($s) {
            print $s "GET /api/faq HTTP/1.1\r\nHost: $host\r\n"
                . "Connection: close\r\n\r\n";
            local $/;
            my $answer = <$s> // '';
            return $answer;
        }
        select(undef, undef, undef, 0.05);
    }
    return undef;
}

my $a = raw_http($port{http}, 'api.example.com');
like($a, qr{^HTTP/1\.1 301}, 'plain HTTP for our host: 301');
like($a, qr{\r\nLocation: https://api\.example\.com/api/faq\r\n},
    '... to HTTPS');
is(raw_http($port{http}, 'evil.example.net'), '',
    'plain HTTP for another host: closed unanswered (444)');

# TLS: our name gets a handshake and reaches the FastCGI location (no pool
# runs here, so 502); another name is refused at the handshake.
my $curl = sub {
    my ($host) = @_;
    my $o = `curl -s -o /dev/null -w '%{http_code}' --max-time 5 -k \\
        --resolve $host:$port{https}:127.0.0.1 \\
        https://$host:$port{https}/api/faq 2>/dev/null`;
    return ($? >> 8, $o);
};
my ($rc, $code) = $curl->('shop.example.com');
is($code, '502', 'HTTPS for our host reaches the FastCGI location');
($rc, $code) = $curl->('evil.example.net');
isnt($rc, 0, 'HTTPS for another host: handshake refused');
is($code, '000', '... no HTTP answer at all');

# The console: /admin/ is the pages with the contract's headers, and
# /admin/api/ goes to featcgi (502 here: no pool).
my $CSP = "default-src 'self'; script-src 'self'; style-src 'self'; "
    . "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
    . "base-uri 'none'; form-action 'self'";
my $get = sub {
    my ($path) = @_;
    my $o = `curl -s -i --max-time 5 -k \\
        --resolve api.example.com:$port{https}:127.0.0.1 \\
        https://api.example.com:$port{https}$path 2>/dev/null`;
    return $o;
};
my $page = $get->('/admin/');
like($page, qr{^HTTP/\S+ 200}, '/admin/: 200');
like($page, qr{\r\ncontent-type: text/html; charset=utf-8\r\n}i,
    '... the index page as HTML');
like($page, qr{<title>console</title>}, '... index.html');
like($page, qr{\r\ncontent-security-policy: \Q$CSP\E\r\n}i,
    '... the console\'s Content-Security-Policy');
like($page, qr{\r\nx-frame-options: DENY\r\n}i, '... X-Frame-Options');
like($page, qr{\r\nx-content-type-options: nosniff\r\n}i, '... nosniff');
like($get->('/admin'), qr{^HTTP/\S+ 301.*\r\nlocation: /admin/\r\n}si,
    '/admin: to /admin/');
my $none = $get->('/admin/nothing.js');
like($none, qr{^HTTP/\S+ 404}, 'a page that is not there: 404');
like($none, qr{\r\n\r\n\{}, '... as JSON');
like($get->('/admin/api/session'), qr{^HTTP/\S+ 502},
    '/admin/api/ reaches the FastCGI location');

# nginx's own errors are JSON on every server, the default one included
# (issue 12, finding 11).
sub raw_bytes {
    my ($port, $bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
        Timeout => 5) or return '';
    print $s $bytes;
    local $/;
    return <$s> // '';
}
for my $c ([ 'a malformed request line on the HTTP port', $port{http},
             "GET /api/faq HTTP/1.1 junk\r\nHost: api.example.com\r\n\r\n",
             400 ],
           [ 'a 12 KB URI on the HTTP port', $port{http},
             'GET /api/faq?q=' . ('x' x 12000)
             . " HTTP/1.1\r\nHost: api.example.com\r\n\r\n", 414 ],
           [ 'plain HTTP on the TLS port, our host', $port{https},
             "GET /api/faq HTTP/1.1\r\nHost: api.example.com\r\n"
             . "Connection: close\r\n\r\n", 400 ],
           [ 'plain HTTP on the TLS port, another host', $port{https},
             "GET /api/faq HTTP/1.1\r\nHost: evil.example.net\r\n"
             . "Connection: close\r\n\r\n", 400 ])
{
    my ($what, $port, $bytes, $status) = @$c;
    my $a = raw_bytes($port, $bytes);
    like($a, qr{^HTTP/1\.1 $status }, "$what: $status");
    like($a, qr{\r\nContent-Type: application/json\r\n}, '... as JSON');
    like($a, qr{\r\n\r\n\{"code":10005,}, '... in the default dialect');
    unlike($a, qr{<html}, '... no HTML');
}

kill('TERM', $pid);
waitpid($pid, 0);
my $errors = FeatTest::_slurp("$dir/log/nginx-error.log");
unlike($errors, qr/\[(?:alert|emerg)\]/, 'no [alert] or [emerg] from nginx');

done_testing();

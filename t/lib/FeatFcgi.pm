package FeatFcgi;

# FeatFcgi: a FastCGI client for the tests that talk to featcgi's socket
# without nginx (the FastCGI specification's records, version 1): a
# request's records, and an answer read up to its FCGI_END_REQUEST with
# whatever came after it in the same reads.

use strict;
use warnings;

use Exporter qw(import);
use IO::Select;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time);

our @EXPORT_OK = qw(fcgi_record fcgi_request fcgi_connect fcgi_answer);

use constant {
    FCGI_BEGIN => 1, FCGI_END => 3, FCGI_PARAMS => 4, FCGI_STDIN => 5,
    FCGI_STDOUT => 6, FCGI_UNKNOWN => 11, FCGI_KEEP_CONN => 1,
};

# One record of type $type with $content (under 64 kB), request id $id (1).
sub fcgi_record {
    my ($type, $content, $id) = @_;

    return pack('CCnnCC', 1, $type, $id // 1, length($content), 0, 0)
        . $content;
}

# The records of a responder request: %o has token (Authorization: Token),
# method (GET), path (/api/personal/info), query, body, content_type,
# keep (1: FCGI_KEEP_CONN), app (FEAT_APP_ID, ""), id (1).
sub fcgi_request {
    my (%o) = @_;
    my $id = $o{id} // 1;
    my $path = $o{path} // '/api/personal/info';
    my $body = $o{body} // '';
    my %p = (REQUEST_METHOD => $o{method} // 'GET', DOCUMENT_URI => $path,
        REQUEST_URI => $path, QUERY_STRING => $o{query} // '',
        REMOTE_ADDR => '127.0.0.1', SERVER_PROTOCOL => 'HTTP/1.1',
        HTTP_HOST => 'localhost', FEAT_APP_ID => $o{app} // '');
    my ($params, $stdin) = ('', '');

    $p{HTTP_AUTHORIZATION} = "Token $o{token}" if defined $o{token};
    if (length $body) {
        $p{CONTENT_LENGTH} = length($body);
        $p{CONTENT_TYPE} = $o{content_type} // 'application/json';
    }
    for my $k (sort keys %p) {
        my $v = "$p{$k}";
        $params .= pack('CC', length($k), length($v)) . $k . $v;
    }
    for (my $off = 0; $off < length($body); $off += 32768) {
        $stdin .= fcgi_record(FCGI_STDIN, substr($body, $off, 32768), $id);
    }
    return fcgi_record(FCGI_BEGIN, pack('nCx5', 1,
            $o{keep} ? FCGI_KEEP_CONN : 0), $id)
        . fcgi_record(FCGI_PARAMS, $params, $id) . fcgi_record(FCGI_PARAMS, '', $id)
        . $stdin . fcgi_record(FCGI_STDIN, '', $id);
}

# A connection to the unix socket $path, or undef.
sub fcgi_connect {
    my ($path) = @_;

    return IO::Socket::UNIX->new(Peer => $path, Type => SOCK_STREAM);
}

# Reads the answer to a request on $s, for up to $timeout seconds (10):
# { status, headers, body, end (1 once FCGI_END_REQUEST came), after (the
# record types that came after it), eof (the connection closed) }.
sub fcgi_answer {
    my ($s, $timeout) = @_;
    my $sel = IO::Select->new($s);
    my $until = time + ($timeout // 10);
    my ($buf, $out, %a) = ('', '');

    $a{after} = [];
    while (!$a{eof}) {
        my $left = $until - time;
        last if $left <= 0 || !$sel->can_read($left);
        my $n = sysread($s, $buf, 65536, length($buf));
        $a{eof} = 1 if !$n;
        while (length($buf) >= 8) {
            my ($v, $type, $id, $len, $pad) = unpack('CCnnC', $buf);
            last if length($buf) < 8 + $len + $pad;
            my $content = substr($buf, 8, $len);
            substr($buf, 0, 8 + $len + $pad) = '';
            if ($a{end}) {
                push @{ $a{after} }, $type;
            } elsif ($type == FCGI_STDOUT) {
                $out .= $content;
            } elsif ($type == FCGI_END) {
                $a{end} = 1;
            }
        }
        # what came with the end record is read; more is not waited for
        last if $a{end} && !length($buf) && !$sel->can_read(0.05);
    }
    my ($head, $body) = split(/\r?\n\r?\n/, $out, 2);
    $a{headers} = $head // '';
    $a{body} = $body // '';
    $a{status} = ($a{headers} =~ /^Status: (\d+)/mi) ? $1 : 200;
    return \%a;
}

1;

#!/usr/bin/perl
# t/fake/amap.pl: a fake AMap web service for the tests (v1 /area).
#
# Answers GET /v3/config/district?key=KEY&... the way AMap's district API
# does: {"status":"1","info":"OK","infocode":"10000","count":"1",
# "districts":[...],"suggestion":{"keywords":[],"cities":[]}}, the one
# district named by "keywords" (or 中华人民共和国).  A wrong or missing key
# gets AMap's own refusal, HTTP 200 {"status":"0","info":
# "INVALID_USER_KEY","infocode":"10001"}.  Listens on 127.0.0.1 only,
# prints its port on the first line of stdout, and exits by itself after
# --ttl seconds or on SIGTERM/SIGINT.  Each connection is served by a
# child process, so a deliberately slow answer holds up nobody else.
#
#   amap.pl [--port N] [--ttl S] [--log FILE] [--key KEY] [--mode MODE]
#           [--slow S]
#
# MODE is how a request is answered:
#   ok       200 with a district answer
#   refuse   200 {"status":"0",...}: AMap refusing (a quota, a bad key)
#   error    500 with an HTML page
#   garbage  200 with a body that is not JSON
#   slow     waits --slow seconds (default 10), then answers as ok
# A request whose keywords is a mode's name ("keywords=slow") gets that
# mode, so one fake serves a whole test file; --mode (default ok) answers
# every other one.
#
# Every request is appended to --log as one JSON line before it is
# answered: {"time","path","query":{name:value},"raw","mode"}, the query
# decoded, so a test sees exactly which parameters reached AMap.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use FeatFake qw(answer);
use Getopt::Long qw(GetOptions);
use JSON::PP;
use Time::HiRes qw(sleep);

my %opt = (port => 0, ttl => 300, key => 'amap-test-key', mode => 'ok',
           slow => 10);

GetOptions(\%opt, 'port=i', 'ttl=i', 'log=s', 'key=s', 'mode=s', 'slow=f')
    or die "usage: $0 [--port N] [--ttl S] [--log FILE] [--key KEY] "
         . "[--mode MODE] [--slow S]\n";

my %modes = map { $_ => 1 } qw(ok refuse error garbage slow);

die "$0: unknown mode $opt{mode}\n" unless $modes{$opt{mode}};

my $master = $$;

FeatFake::listen_and_serve(port => $opt{port}, ttl => $opt{ttl},
                           child_alarm => $opt{slow} + 30,
                           serve => \&serve);


sub decode {
    my ($s) = @_;

    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    utf8::decode($s);
    return $s;
}


sub serve {
    my ($c) = @_;
    my $buf = FeatFake::read_head($c, sub {
        answer($c, $_[0], 'text/plain', 'headers too large') });

    return unless defined $buf;

    my ($line) = split /\r\n/, $buf;
    my ($method, $target) = split / /, $line;
    my ($path, $raw) = split /\?/, $target // '', 2;
    my (%q, @dup);

    $raw //= '';
    for my $pair (split /&/, $raw) {
        my ($k, $v) = split /=/, $pair, 2;
        $k = decode($k);
        push @dup, $k if exists $q{$k};
        $q{$k} = decode($v // '');
    }

    my $mode = $modes{$q{keywords} // ''} ? $q{keywords} : $opt{mode};

    FeatFake::record($opt{log}, { time => time, path => $path,
                                  query => \%q, raw => $raw, mode => $mode,
                                  dup => \@dup }, 1);

    return answer($c, 405, 'text/plain', 'method not allowed')
        unless $method eq 'GET';
    return answer($c, 404, 'text/plain', 'not found')
        unless $path eq '/v3/config/district';
    return answer($c, 200, 'application/json',
                  encode_json({ status => '0', info => 'INVALID_USER_KEY',
                                infocode => '10001' }))
        unless ($q{key} // '') eq $opt{key};

    return answer($c, 500, 'text/html', '<html>502 Bad Gateway</html>')
        if $mode eq 'error';
    return answer($c, 200, 'application/json', '{"status":"1",<html>')
        if $mode eq 'garbage';
    return answer($c, 200, 'application/json',
                  encode_json({ status => '0', info => 'DAILY_QUERY_OVER_LIMIT',
                                infocode => '10003' }))
        if $mode eq 'refuse';

    if ($mode eq 'slow') {
        # wait, but give up as soon as the fake itself is gone
        my $until = time + $opt{slow};
        while (time < $until && getppid() == $master) {
            sleep 0.1;
        }
    }

    my $name = $q{keywords} // '中华人民共和国';
    my $district = { citycode => [], adcode => '100000', name => $name,
                     center => '116.3683244,39.915085', level => 'country',
                     districts => [] };

    if (($q{subdistrict} // '1') ne '0') {
        $district->{districts} = [ { citycode => '010', adcode => '110000',
            name => '北京市', center => '116.407387,39.904179',
            level => 'province', districts => [] } ];
    }

    return answer($c, 200, 'application/json',
                  JSON::PP->new->utf8->canonical->encode({
                      status => '1', info => 'OK', infocode => '10000',
                      count => '1', districts => [ $district ],
                      suggestion => { keywords => [], cities => [] } }));
}


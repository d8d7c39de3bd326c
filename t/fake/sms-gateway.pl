#!/usr/bin/perl
# t/fake/sms-gateway.pl: a fake SMS gateway for the tests.
#
# Speaks the contract featcgi's "http" SMS provider expects: POST a JSON
# {"app","area","phone","code"} with "Authorization: Bearer <key>"; the
# answer {"code":0} means sent, {"code":"arrears"} means the account behind
# the key is in arrears, anything else is a refusal.  Listens on 127.0.0.1
# only, prints its port on the first line of stdout, and exits by itself
# after --ttl seconds or on SIGTERM/SIGINT.  Each connection is served by a
# child process, so a deliberately slow answer holds up nobody else.
#
#   sms-gateway.pl [--port N] [--ttl S] [--log FILE] [--key KEY]
#                  [--mode MODE] [--slow S] [--rule SUFFIX=MODE ...]
#
# MODE is how a message is answered:
#   ok       200 {"code":0}
#   arrears  200 {"code":"arrears","message":...}
#   error    500 {"code":"error","message":...}
#   fail     200 {"code":"rejected","message":...}  (an error body with 200)
#   garbage  200 with a body that is not JSON
#   slow     waits --slow seconds (default 10), then answers as ok
#   close    closes the connection without answering
# --rule picks the mode by the end of the phone number (the longest
# matching suffix wins), so one gateway serves a whole test file:
#   --rule 0001=arrears --rule 0002=error --rule 0003=slow
# --mode (default ok) answers every other phone.
#
# A request with a wrong or missing key gets 401 {"code":"unauthorized"} and
# is not logged.  Every other well-formed message is appended to --log as
# one JSON line: {"time","app","area","phone","code","mode"}, where mode is
# the answer chosen; it is written before the answer, so a slow or closed
# answer is logged too.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use FeatFake;
use Getopt::Long qw(GetOptions);
use JSON::PP;
use Time::HiRes qw(sleep);

my %opt = (port => 0, ttl => 300, key => 'test-key', mode => 'ok',
           slow => 10);
my @rules;

GetOptions(\%opt, 'port=i', 'ttl=i', 'log=s', 'key=s', 'mode=s', 'slow=f',
           'rule=s' => \@rules)
    or die "usage: $0 [--port N] [--ttl S] [--log FILE] [--key KEY] "
         . "[--mode MODE] [--slow S] [--rule SUFFIX=MODE]\n";

my %modes = map { $_ => 1 } qw(ok arrears error fail garbage slow close);
my %rule;

die "$0: unknown mode $opt{mode}\n" unless $modes{$opt{mode}};

for my $r (@rules) {
    my ($suffix, $mode) = $r =~ /^(\d+)=(\w+)$/
        or die "$0: bad rule $r (want SUFFIX=MODE)\n";
    die "$0: unknown mode $mode\n" unless $modes{$mode};
    $rule{$suffix} = $mode;
}

my $master = $$;

FeatFake::listen_and_serve(port => $opt{port}, ttl => $opt{ttl},
                           child_alarm => $opt{slow} + 30,
                           serve => \&serve);


sub serve {
    my ($c) = @_;
    my %refusal = (431 => 'headers_too_large', 411 => 'length_required',
                   413 => 'too_large');
    my ($method, $h, $body) = FeatFake::read_request($c, sub {
        answer($c, $_[0], { code => $refusal{$_[0]} }) })
        or return;

    return answer($c, 405, { code => 'method_not_allowed' })
        unless $method eq 'POST';

    return answer($c, 401, { code => 'unauthorized' })
        unless ($h->{authorization} // '') eq "Bearer $opt{key}";

    my $msg = eval { decode_json($body) };

    return answer($c, 400, { code => 'bad_request' })
        unless ref $msg eq 'HASH'
            && defined $msg->{phone} && !ref $msg->{phone}
            && defined $msg->{code} && !ref $msg->{code};

    my $mode = $opt{mode};
    my $best = -1;

    for my $suffix (keys %rule) {
        if (length $suffix > $best
            && substr($msg->{phone}, -length $suffix) eq $suffix)
        {
            $mode = $rule{$suffix};
            $best = length $suffix;
        }
    }

    record({ time => time, app => $msg->{app}, area => $msg->{area},
             phone => $msg->{phone}, code => $msg->{code}, mode => $mode });

    return answer($c, 200, { code => 0 }) if $mode eq 'ok';
    return answer($c, 200, { code => 'arrears',
                             message => 'account in arrears' })
        if $mode eq 'arrears';
    return answer($c, 500, { code => 'error', message => 'internal error' })
        if $mode eq 'error';
    return answer($c, 200, { code => 'rejected',
                             message => 'number rejected' })
        if $mode eq 'fail';
    return answer($c, 200, 'this is not json') if $mode eq 'garbage';
    return if $mode eq 'close';

    # slow: wait, but give up as soon as the gateway itself is gone
    my $until = time + $opt{slow};
    while (time < $until && getppid() == $master) {
        sleep 0.1;
    }
    return answer($c, 200, { code => 0 });
}


sub answer {
    my ($c, $status, $body) = @_;

    return FeatFake::answer($c, $status, 'application/json',
                            ref $body ? encode_json($body) : $body);
}


sub record {
    my ($rec) = @_;

    FeatFake::record($opt{log}, $rec);
}

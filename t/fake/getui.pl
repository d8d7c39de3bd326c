#!/usr/bin/perl
# t/fake/getui.pl: a fake Getui REST API v2 for the tests.
#
#   getui.pl [--ttl S] --log FILE --app-id ID --app-key KEY --secret S
#            [--token-ttl S]
#
# POST /v2/<app id>/auth {"sign","timestamp","appkey"}: a sign that is not
# sha256(appkey + timestamp + secret) gets {"code":10002}; else
# {"code":0,"data":{"expire_time":"<ms>","token":"tok.<issued ms>.<rand>"}}.
# POST /v2/<app id>/push/single/cid with header token: a token not issued
# here or older than --token-ttl seconds (default 3600) gets
# {"code":10001}; then the cid's prefix picks the answer: "bad-" code
# 20001 (not a Getui cid), "busy-" HTTP 500, "pair-" waits (5 s at most)
# until another "pair-" request is being answered at the same time, then
# answers 0 with "met": 1 in its line (only a client with several
# requests in flight meets one), "expire-" marks the token
# presented expired (once per cid: every later use gets 10001), else 0.  The token
# carries its issue time, so the children that serve the connections
# share no state.  Every request is appended to --log as one JSON line
# before it is answered: {"path","token","body","code","status","met"}.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Digest::SHA qw(sha256_hex hmac_sha256_hex);
use FeatFake qw(answer);
use Getopt::Long qw(GetOptions);
use JSON::PP;
use Time::HiRes qw(time);

my %opt = (ttl => 300, 'token-ttl' => 3600);
GetOptions(\%opt, 'ttl=i', 'log=s', 'app-id=s', 'app-key=s', 'secret=s',
    'token-ttl=f', 'port=i') or die "usage\n";

FeatFake::listen_and_serve(port => $opt{port} // 0, ttl => $opt{ttl},
                           child_alarm => 30, serve => \&serve);

sub reply {
    my ($c, $rec, $status, $json) = @_;

    $rec->{status} = $status;
    $rec->{code} = $json->{code};
    FeatFake::record($opt{log}, $rec, 1);
    return answer($c, $status, 'application/json', encode_json($json));
}

# The children share no memory: each "pair-" request leaves a file in
# <log>.pair/ and looks for another's.
sub meet {
    my $d = "$opt{log}.pair";
    mkdir $d;
    my $mine = "$d/$$";
    open(my $fh, '>', $mine) or die "$mine: $!";
    close $fh;
    my $met = 0;
    for (1 .. 100) {
        opendir(my $dh, $d) or last;
        $met = grep { /^\d+$/ && $_ ne $$ } readdir $dh;
        closedir $dh;
        last if $met;
        select(undef, undef, undef, 0.05);
    }
    # the other one sees this one too
    select(undef, undef, undef, 0.2);
    unlink $mine;
    return $met ? 1 : 0;
}

sub serve {
    my ($c) = @_;
    my ($method, $h, $body, $target) = FeatFake::read_request($c, sub {
        answer($c, $_[0], 'text/plain', 'refused') });

    return unless defined $method;

    my $j = eval { decode_json($body) } // {};
    my $rec = { path => $target, token => $h->{token}, body => $j };
    my $base = "/v2/$opt{'app-id'}";
    my $now = int(time * 1000);

    if ($method eq 'POST' && $target eq "$base/auth") {
        my $want = sha256_hex(($j->{appkey} // '') . ($j->{timestamp} // '')
            . $opt{secret});
        return reply($c, $rec, 200, { code => 10002, msg => 'sign error' })
            if ($j->{sign} // '') ne $want
            || ($j->{appkey} // '') ne $opt{'app-key'};
        my $tok = "tok.$now." . int(rand(1e9));
        $tok .= '.' . hmac_sha256_hex($tok, $opt{secret});
        return reply($c, $rec, 200, { code => 0, msg => 'success',
            data => { expire_time => '' . ($now + 86400000),
                      token => $tok } });
    }

    if ($method eq 'POST' && $target eq "$base/push/single/cid") {
        my ($tag, $at, $r, $mac) = split /\./, $h->{token} // '';
        my $tok = $h->{token} // '';
        my $cid = $j->{audience}{cid}[0] // '';
        my $ok = defined $mac
            && $mac eq hmac_sha256_hex("$tag.$at.$r", $opt{secret})
            && $now - $at <= $opt{'token-ttl'} * 1000;
        my %expired;
        if (open(my $in, '<', "$opt{log}.expired")) {
            %expired = map { chomp; $_ => 1 } <$in>;
        }
        if ($ok && $cid =~ /^expire-/ && !grep { /^\Q$cid\E / }
            keys %expired)
        {
            open(my $fh, '>>', "$opt{log}.expired") or die;
            print $fh "$tok\n$cid marked\n";
            close $fh;
            $expired{$tok} = 1;
        }
        $ok = 0 if $expired{$tok};
        return reply($c, $rec, 200, { code => 10001, msg => 'token expired' })
            if !$ok;
        return reply($c, $rec, 200, { code => 20001, msg => 'cid invalid' })
            if $cid =~ /^bad-/;
        return reply($c, $rec, 500, { code => 500, msg => 'busy' })
            if $cid =~ /^busy-/;
        $rec->{met} = meet() if $cid =~ /^pair-/;
        return reply($c, $rec, 200, { code => 0, msg => 'success',
            data => { "task-$now" => { $cid => 'successed_online' } } });
    }

    return reply($c, $rec, 404, { code => 404, msg => 'not found' });
}

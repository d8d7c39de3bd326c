#!/usr/bin/perl
# t/fake/alipay.pl: a fake Alipay open platform gateway for the tests.
#
# Speaks alipay.system.oauth.token as featcgi calls it: a form POST whose
# parameters are signed RSA2 (SHA256withRSA over the parameters but
# "sign", sorted by name, joined "k=v&k=v" with raw values, base64).  It
# checks that signature with the app's public key (--app-key) and every
# fixed parameter (--app-id, method, charset, sign_type, version,
# grant_type, the timestamp's form), and answers the way Alipay does: a
# JSON object whose "alipay_system_oauth_token_response" (or
# "error_response") is signed, as the exact text in the body, with the
# gateway's private key (--key).  RSA runs through the openssl command.
#
#   alipay.pl --key PEM --app-key PEM [--app-id ID] [--control FILE]
#             [--port N] [--ttl S] [--log FILE]
#
# The auth code picks the answer, "MODE.ID", so one gateway serves a whole
# test file:
#   ok.ID        200, signed, user_id ID
#   openid.ID    200, signed, open_id ID and no user_id
#   forged.ID    200, user_id ID, but the sign is over another user's text
#   tampered.ID  200, signed for ID, then the body changed to ID + "9"
#   unsigned.ID  200, user_id ID, no sign at all
#   twice.ID     200, a signed response for ID, then a second unsigned one
#   invalid.X    200, a signed error_response isv.code-invalid
#   error.X      500
#   garbage.X    200 with a body that is not JSON
# A request whose signature or parameters are wrong gets a signed
# error_response 40002 isv.invalid-signature / isv.missing-parameter.
#
# It also speaks the trade API as Alipay's open platform documents it:
# alipay.trade.precreate (biz_content out_trade_no, total_amount in yuan
# with at most two decimals in [0.01, 100000000], subject; a notify_url;
# answered with the trade's qr_code) and alipay.trade.query (biz_content
# out_trade_no or trade_no; answered with the trade's trade_status,
# total_amount and trade_no, or code 40004 ACQ.TRADE_NOT_EXIST), and
# takes a GET of a signed alipay.trade.wap.pay URL as a payer's browser
# opens it (the signature and parameters checked, logged, answered with a
# cashier or an error page).  The trade calls answer
# {"alipay_trade_<name>_response": {...}, "sign": "..."}, the sign
# over that value's exact text.  --control names a file whose first word,
# read at each trade request, picks the answer (missing or empty: ok):
#   ok           the documented success
#   fail         a signed code 40004 ACQ.SYSTEM_ERROR
#   badsign      a success whose sign is over other text
#   unsigned     a success without sign
#   othertrade   a success for another out_trade_no
#   noqr         a precreate success without qr_code
#   http500      HTTP 500
#   garbage      200 with a body that is not JSON
#   timeout      no answer for 60 seconds
# and whose other lines "trade OUT_TRADE_NO STATUS AMOUNT TRADE_NO" are the
# trades alipay.trade.query knows (the payer paid: TRADE_SUCCESS...).
# alipay.trade.close (biz_content out_trade_no) as its docs give it: a
# trade WAIT_BUYER_PAY is closed (code 10000) and stays TRADE_CLOSED for
# the query; a paid or closed one is 40004 ACQ.TRADE_STATUS_ERROR; one
# the payer never opened (no trade line) ACQ.TRADE_NOT_EXIST.  A
# precreate of a closed number is ACQ.TRADE_HAS_CLOSE.  The closes are
# kept in --state (default: the log's name and ".state").
# Every request is appended to --log as one JSON line {"params", "sig_ok",
# "params_ok", "answer"}, written before the answer.  Listens on
# 127.0.0.1 only, prints its port on the first line of stdout, exits after
# --ttl seconds or on SIGTERM/SIGINT; each connection is served by a child
# process.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use FeatFake;
use File::Temp qw(tempfile);
use JSON::PP ();
use Getopt::Long qw(GetOptions);
use MIME::Base64 qw(encode_base64 decode_base64);

my %opt = (port => 0, ttl => 300, 'app-id' => '2021000000000001');

GetOptions(\%opt, 'port=i', 'ttl=i', 'log=s', 'key=s', 'app-key=s',
           'app-id=s', 'control=s', 'state=s')
    && defined $opt{key} && defined $opt{'app-key'}
    or die "usage: $0 --key PEM --app-key PEM [--app-id ID] [--port N] "
         . "[--ttl S] [--log FILE]\n";

# system() must reap its openssl commands itself
FeatFake::listen_and_serve(port => $opt{port}, ttl => $opt{ttl},
                           child_alarm => 30,
                           child_setup => sub { $SIG{CHLD} = 'DEFAULT' },
                           serve => \&serve);


# base64 SHA256withRSA of $text with the PEM private key $key.
sub rsa_sign {
    my ($key, $text) = @_;
    my ($fh, $in) = tempfile(UNLINK => 1);
    my (undef, $out) = tempfile(UNLINK => 1);

    binmode $fh;
    print {$fh} $text;
    close $fh;
    system('openssl', 'dgst', '-sha256', '-sign', $key, '-out', $out, $in) == 0
        or die "$0: openssl dgst -sign failed\n";
    open my $sf, '<:raw', $out or die "$0: $out: $!\n";
    local $/;
    my $sig = <$sf>;
    close $sf;
    unlink $in, $out;
    return encode_base64($sig, '');
}


# 1 if $b64 is a SHA256withRSA signature of $text under the PEM public key.
sub rsa_verify {
    my ($pub, $text, $b64) = @_;
    my $sig = decode_base64($b64 // '');
    my ($fh, $in) = tempfile(UNLINK => 1);
    my ($gh, $sf) = tempfile(UNLINK => 1);

    return 0 if $sig eq '';
    binmode $fh;
    binmode $gh;
    print {$fh} $text;
    print {$gh} $sig;
    close $fh;
    close $gh;
    my $ok = system("openssl dgst -sha256 -verify '$pub' -signature '$sf'"
        . " '$in' >/dev/null 2>&1") == 0;
    unlink $in, $sf;
    return $ok ? 1 : 0;
}


sub url_decode {
    my ($s) = @_;

    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    return $s;
}


$opt{state} //= "$opt{log}.state" if defined $opt{log};

# The numbers closed by alipay.trade.close: { NO => 1 }.
sub closed {
    my %c;

    return {} unless defined $opt{state};
    open my $fh, '<', $opt{state} or return {};
    while (<$fh>) {
        $c{$1} = 1 if /^closed\s+(\S+)/;
    }
    close $fh;
    return \%c;
}


sub serve {
    my ($c) = @_;
    my ($method, undef, $body, $target) = FeatFake::read_request($c, sub {
        answer($c, $_[0], '{}') })
        or return;

    # a payer's browser opening a signed page-pay URL
    if ($method eq 'GET' && ($target // '') =~ /\?(.*)$/) {
        $body = $1;
    } elsif ($method ne 'POST') {
        return answer($c, 405, '{}');
    }

    my %p;
    for my $pair (split /&/, $body) {
        my ($k, $v) = split /=/, $pair, 2;
        $p{url_decode($k)} = url_decode($v // '');
    }

    my $text = join('&', map { "$_=$p{$_}" }
        grep { $_ ne 'sign' && $p{$_} ne '' } sort keys %p);
    my $sig_ok = rsa_verify($opt{'app-key'}, $text, $p{sign});

    return trade($c, \%p, $sig_ok)
        if ($p{method} // '') =~ /^alipay\.trade\.(precreate|query|close)$/;
    return wap($c, \%p, $sig_ok) if $method eq 'GET';
    my $params_ok = ($p{app_id} // '') eq $opt{'app-id'}
        && ($p{method} // '') eq 'alipay.system.oauth.token'
        && ($p{charset} // '') eq 'utf-8'
        && ($p{sign_type} // '') eq 'RSA2'
        && ($p{version} // '') eq '1.0'
        && ($p{grant_type} // '') eq 'authorization_code'
        && ($p{timestamp} // '') =~ /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/
        && defined $p{code} && $p{code} ne '';

    my ($mode, $id) = ($p{code} // '') =~ /^(\w+)\.(.*)$/;
    $mode //= 'invalid';
    $mode = 'badsign' if !$sig_ok;
    $mode = 'badparams' if $sig_ok && !$params_ok;

    record({ params => \%p, sig_ok => $sig_ok, answer => $mode });

    my $key = 'alipay_system_oauth_token_response';
    my $token = sub {
        my ($uid_field, $uid) = @_;
        # spaces and a key order of Alipay's own: the signed text is the
        # raw value, so featcgi must not re-serialize it
        return '{"access_token": "authusrB' . ($uid // '') . '",'
            . ' "alipay_user_id": "20880000000000000000000000000000",'
            . ' "expires_in": 1296000, "re_expires_in": 2592000,'
            . ' "refresh_token": "authusrR' . ($uid // '') . '",'
            . " \"$uid_field\": \"$uid\"}";
    };
    my $error = sub {
        my ($code, $msg, $sub, $submsg) = @_;
        my $e = "{\"code\":\"$code\",\"msg\":\"$msg\",\"sub_code\":\"$sub\","
            . "\"sub_msg\":\"$submsg\"}";
        return "{\"error_response\":$e,\"sign\":\""
            . rsa_sign($opt{key}, $e) . '"}';
    };

    if ($mode eq 'badsign') {
        return answer($c, 200, $error->('40002', 'Invalid Arguments',
            'isv.invalid-signature', 'bad signature'));
    }
    if ($mode eq 'badparams') {
        return answer($c, 200, $error->('40001', 'Missing Required Arguments',
            'isv.missing-parameter', 'bad parameters'));
    }
    if ($mode eq 'ok' || $mode eq 'openid') {
        my $r = $token->($mode eq 'ok' ? 'user_id' : 'open_id', $id);
        return answer($c, 200, "{\"$key\": $r, \"sign\":\""
            . rsa_sign($opt{key}, $r) . '"}');
    }
    if ($mode eq 'forged') {
        my $r = $token->('user_id', $id);
        my $other = $token->('user_id', '2088999999999999');
        return answer($c, 200, "{\"$key\":$r,\"sign\":\""
            . rsa_sign($opt{key}, $other) . '"}');
    }
    if ($mode eq 'tampered') {
        my $r = $token->('user_id', $id);
        my $sign = rsa_sign($opt{key}, $r);
        $r =~ s/"user_id": "\Q$id\E"/"user_id": "${id}9"/;
        return answer($c, 200, "{\"$key\":$r,\"sign\":\"$sign\"}");
    }
    if ($mode eq 'unsigned') {
        return answer($c, 200, "{\"$key\":" . $token->('user_id', $id) . '}');
    }
    if ($mode eq 'twice') {
        my $r = $token->('user_id', $id);
        return answer($c, 200, "{\"$key\":$r,\"sign\":\""
            . rsa_sign($opt{key}, $r) . "\",\"$key\":"
            . $token->('user_id', '2088777777777777') . '}');
    }
    if ($mode eq 'error') {
        return answer($c, 500, '{"error":"internal"}');
    }
    if ($mode eq 'garbage') {
        return answer($c, 200, 'this is not json');
    }

    return answer($c, 200, $error->('40002', 'Invalid Arguments',
        'isv.code-invalid', 'auth code invalid'));
}


# The control file: its first word (the mode) and its trade lines.
sub control {
    my ($mode, %trades) = ('ok');

    return ($mode, {}) unless defined $opt{control};
    open my $fh, '<', $opt{control} or return ($mode, {});
    my @lines = <$fh>;
    close $fh;
    ($mode) = ($lines[0] // '') =~ /^\s*(\w+)/;
    for (@lines[1 .. $#lines]) {
        my (undef, $no, @t) = split;
        $trades{$no} = \@t if /^trade\s/;
    }
    return ($mode // 'ok', \%trades);
}


# alipay.trade.wap.pay, opened by the payer's browser (GET): the cashier
# page when the signature and the parameters are right, else an error
# page (Alipay shows one too).
sub wap {
    my ($c, $p, $sig_ok) = @_;
    my $biz = eval { JSON::PP->new->decode($p->{biz_content} // '') };
    my $params_ok = ($p->{method} // '') eq 'alipay.trade.wap.pay'
        && ($p->{app_id} // '') eq $opt{'app-id'}
        && ($p->{charset} // '') eq 'utf-8'
        && ($p->{sign_type} // '') eq 'RSA2'
        && ($p->{version} // '') eq '1.0'
        && ($p->{timestamp} // '') =~ /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/
        && ref $biz eq 'HASH'
        && ($biz->{out_trade_no} // '') =~ /^[0-9A-Za-z_]{1,64}$/
        && ($biz->{total_amount} // '') =~ /^\d+(\.\d{1,2})?$/
        && ($biz->{subject} // '') ne ''
        && ($biz->{product_code} // '') eq 'QUICK_WAP_WAY' ? 1 : 0;

    record({ params => $p, biz => $biz, sig_ok => $sig_ok,
        params_ok => $params_ok, answer => 'wap' });

    return FeatFake::answer($c, 200, 'text/html;charset=utf-8',
        $sig_ok && $params_ok ? '<html><body>cashier</body></html>'
                              : '<html><body>error</body></html>');
}


# alipay.trade.precreate and alipay.trade.query.
sub trade {
    my ($c, $p, $sig_ok) = @_;
    my ($mode, $trades) = control();
    my ($name) = $p->{method} =~ /^alipay\.trade\.(\w+)$/;
    my $key = "alipay_trade_${name}_response";
    # bytes in, bytes out: the log line keeps the UTF-8 as it came
    my $biz = eval { JSON::PP->new->decode($p->{biz_content} // '') };
    my $amount_ok = sub {
        my ($a) = @_;
        return defined $a && $a =~ /^\d+(\.\d{1,2})?$/ && $a >= 0.01
            && $a <= 100000000;
    };
    my $params_ok = ($p->{app_id} // '') eq $opt{'app-id'}
        && ($p->{charset} // '') eq 'utf-8'
        && ($p->{sign_type} // '') eq 'RSA2'
        && ($p->{version} // '') eq '1.0'
        && ($p->{timestamp} // '') =~ /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/
        && ref $biz eq 'HASH' ? 1 : 0;
    if ($params_ok && $name eq 'precreate') {
        $params_ok = ($biz->{out_trade_no} // '') =~ /^[0-9A-Za-z_]{1,64}$/
            && $amount_ok->($biz->{total_amount})
            && ($biz->{subject} // '') ne '' && $biz->{subject} !~ m{[/=&]}
            && ($p->{notify_url} // '') =~ m{^https?://[^?]+$} ? 1 : 0;
    }
    if ($params_ok && ($name eq 'query' || $name eq 'close')) {
        $params_ok = defined $biz->{out_trade_no} || defined $biz->{trade_no}
            ? 1 : 0;
    }

    record({ params => $p, biz => $biz, sig_ok => $sig_ok,
        params_ok => $params_ok, answer => $mode });

    my $signed = sub {
        my ($r, $text) = @_;
        return answer($c, 200, "{\"$key\":$r,\"sign\":\""
            . rsa_sign($opt{key}, $text // $r) . '"}');
    };
    my $error = sub {
        my ($code, $msg, $sub, $submsg) = @_;
        return $signed->("{\"code\":\"$code\",\"msg\":\"$msg\","
            . "\"sub_code\":\"$sub\",\"sub_msg\":\"$submsg\"}");
    };

    return $error->('40002', 'Invalid Arguments', 'isv.invalid-signature',
        'bad signature') if !$sig_ok;
    return $error->('40004', 'Business Failed', 'isv.missing-parameter',
        'bad parameters') if !$params_ok;

    if ($mode eq 'timeout') {
        sleep 60;
        return;
    }
    return answer($c, 500, '{"error":"internal"}') if $mode eq 'http500';
    return answer($c, 200, 'this is not json') if $mode eq 'garbage';
    return $error->('40004', 'Business Failed', 'ACQ.SYSTEM_ERROR',
        'system error') if $mode eq 'fail';

    my $no = $biz->{out_trade_no} // '';
    my $closed = closed()->{$no};
    my %r;
    if ($closed && $trades->{$no}) {
        $trades->{$no} = [ 'TRADE_CLOSED', @{ $trades->{$no} }[1, 2] ];
    }
    if ($name eq 'close') {
        my $t = $trades->{$no};
        return $error->('40004', 'Business Failed', 'ACQ.TRADE_NOT_EXIST',
            'trade not exist') if !$t && !$closed;
        return $error->('40004', 'Business Failed', 'ACQ.TRADE_STATUS_ERROR',
            'trade status error')
            if $closed || $t->[0] ne 'WAIT_BUYER_PAY';
        open my $fh, '>>', $opt{state} or die "$opt{state}: $!";
        print {$fh} "closed $no\n";
        close $fh;
        %r = (code => '10000', msg => 'Success', out_trade_no => $no,
            trade_no => $t->[2]);
    } elsif ($closed && $name eq 'precreate') {
        return $error->('40004', 'Business Failed', 'ACQ.TRADE_HAS_CLOSE',
            'trade has closed');
    } elsif ($name eq 'precreate') {
        %r = (code => '10000', msg => 'Success', out_trade_no => $no,
            qr_code => 'https://qr.alipay.com/bax0' . unpack('H*', $no));
        delete $r{qr_code} if $mode eq 'noqr';
    } else {
        my $t = $trades->{$no};
        return $error->('40004', 'Business Failed', 'ACQ.TRADE_NOT_EXIST',
            'trade not exist') if !$t;
        %r = (code => '10000', msg => 'Success', out_trade_no => $no,
            trade_status => $t->[0], total_amount => $t->[1],
            trade_no => $t->[2], buyer_logon_id => 'a**@example.com',
            buyer_pay_amount => $t->[1], send_pay_date => '2026-12-07'
            . ' 08:00:00', buyer_user_id => '2088102122524333');
    }
    $r{out_trade_no} = 'another_order' if $mode eq 'othertrade';

    # Alipay's own spacing and key order: the signed text is the raw value
    my $r = '{' . join(', ', map { "\"$_\": \"$r{$_}\"" } sort keys %r)
        . '}';
    return $signed->($r, '{"code": "10000"}') if $mode eq 'badsign';
    return answer($c, 200, "{\"$key\": $r}") if $mode eq 'unsigned';
    return $signed->($r);
}


sub answer {
    my ($c, $status, $text) = @_;

    return FeatFake::answer($c, $status, 'text/html;charset=utf-8', $text);
}


sub record {
    my ($rec) = @_;

    FeatFake::record($opt{log}, $rec);
}

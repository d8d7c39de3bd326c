#!/usr/bin/perl
# t/fake/weixin.pl: a fake WeChat Pay API v2 gateway for the tests.
#
# Speaks pay/unifiedorder as the public API v2 documents it: an XML POST
# of flat <name><![CDATA[value]]></name> fields under <xml>, signed with
# the merchant's API key: the non-empty fields but "sign" sorted by name,
# joined "k=v&k=v", then "&key=KEY", MD5 (or HMAC-SHA256 keyed with KEY
# when the request says sign_type HMAC-SHA256) in upper-case hex.  It
# checks that signature with the key of the request's mch_id (--merchant
# MCH=KEY, repeatable), the app id against --appid (repeatable), and the
# fields the docs require (openid for JSAPI, product_id for NATIVE), and
# answers the way WeChat does: return_code FAIL for a bad signature or a
# missing field, else a signed answer with prepay_id, and code_url or
# mweb_url.
#
#   weixin.pl --merchant MCH=KEY ... --appid ID ... [--control FILE]
#             [--port N] [--ttl S] [--log FILE]
#
# --control names a file whose first word, read at each request, picks
# the answer (missing or empty: ok), so a test steers the running fake:
#   ok           the documented success
#   fail         return_code FAIL, return_msg "system busy"
#   result_fail  return_code SUCCESS, signed, result_code FAIL ORDERPAID
#   badsign      a success signed with another key
#   nosign       a success without sign
#   othermch     a success signed, for another mch_id
#   nourl        a success without code_url / mweb_url
#   http500      HTTP 500
#   garbage      200 with a body that is not XML
#   timeout      no answer for 60 seconds
#
# It also speaks pay/orderquery as the docs give it (POST to that path:
# appid, mch_id, out_trade_no or transaction_id, nonce_str, sign): the
# control file's other lines "trade OUT_TRADE_NO STATE TOTAL_FEE TXN" are
# the trades it knows (STATE SUCCESS, NOTPAY...), answered signed with
# trade_state, total_fee and transaction_id; an unknown one is
# result_code FAIL ORDERNOTEXIST.  The modes above apply to it too.
# A known order (made by unifiedorder) without a trade line is NOTPAY, a
# closed one CLOSED.
#
# One out_trade_no is one order, as the API v2 docs say: unifiedorder
# again with the same number and the same parameters (appid, trade_type,
# openid, total_fee) answers a prepay; with other parameters it is
# result_code FAIL OUT_TRADE_NO_USED; for a closed number FAIL
# ORDERCLOSED; for a paid one (trade line SUCCESS) FAIL ORDERPAID.  It
# speaks pay/closeorder (appid, mch_id, out_trade_no, nonce_str, sign):
# SUCCESS, and the number is closed for good; FAIL ORDERPAID for a paid
# trade, FAIL ORDERCLOSED for one closed already.  The docs of closeorder
# say an order cannot be closed within 5 minutes of being made
# ("订单生成后不能马上调用关单接口，最短调用时间间隔为5分钟") and list no
# err_code of its own for it: the fake answers such a close FAIL
# SYSTEMERROR, the listed code whose remedy is to call again, and the
# order stays payable.  A control line "clock N" moves the fake's clock N
# seconds on, so a test need not wait the 5 minutes.  The orders and closes
# it knows are kept in --state (default: the log's name and ".state"),
# one line each, since every connection is served by another process.
# Every request is appended to --log as one JSON line {"path", "params",
# "sig_ok", "params_ok", "mode", "prepay_id"}, written before the answer.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(hmac_sha256_hex);
use FeatFake;
use Getopt::Long qw(GetOptions);

my %opt = (port => 0, ttl => 300, merchant => [], appid => []);

GetOptions(\%opt, 'port=i', 'ttl=i', 'log=s', 'merchant=s@', 'appid=s@',
           'control=s', 'state=s')
    && @{ $opt{merchant} } && @{ $opt{appid} }
    or die "usage: $0 --merchant MCH=KEY ... --appid ID ... [--control FILE]"
         . " [--port N] [--ttl S] [--log FILE]\n";

$opt{state} //= "$opt{log}.state" if defined $opt{log};

my %keys = map { split /=/, $_, 2 } @{ $opt{merchant} };
my %appids = map { $_ => 1 } @{ $opt{appid} };

FeatFake::listen_and_serve(port => $opt{port}, ttl => $opt{ttl},
                           child_alarm => 90, serve => \&serve);


# API v2's signature of %$p under $key.
sub sign {
    my ($p, $key, $hmac) = @_;
    my $text = join('&', map { "$_=$p->{$_}" }
        grep { $_ ne 'sign' && defined $p->{$_} && $p->{$_} ne '' }
        sort keys %$p) . "&key=$key";

    utf8::encode($text) if utf8::is_utf8($text);
    return uc($hmac ? hmac_sha256_hex($text, $key) : md5_hex($text));
}


sub xml {
    my ($p) = @_;
    return '<xml>' . join('', map { "<$_><![CDATA[$p->{$_}]]></$_>" }
        sort keys %$p) . '</xml>';
}


sub parse {
    my ($body) = @_;
    my %p;

    return undef unless $body =~ m{^\s*<xml>(.*)</xml>\s*$}s;
    my $in = $1;
    # an element holds text and CDATA sections, one after another
    while ($in =~ m{\G\s*<(\w+)>((?:<!\[CDATA\[.*?\]\]>|[^<]+)*)</\1>}gsc) {
        my ($name, $v) = ($1, $2);
        return undef if exists $p{$name};
        $v =~ s/<!\[CDATA\[(.*?)\]\]>|&(lt|gt|amp|quot|apos);/
            defined $1 ? $1 : { lt => '<', gt => '>', amp => '&',
                quot => '"', apos => "'" }->{$2}/gse;
        $p{$name} = $v;
    }
    return undef if $in !~ /\G\s*$/gc;
    return \%p;
}


sub mode {
    return 'ok' unless defined $opt{control};
    open my $fh, '<', $opt{control} or return 'ok';
    my $m = <$fh> // '';
    close $fh;
    $m =~ s/\s+//g;
    return $m eq '' ? 'ok' : $m;
}


# The control file's trade lines: { OUT_TRADE_NO => [STATE, FEE, TXN] }.
sub trades {
    my %t;

    return {} unless defined $opt{control};
    open my $fh, '<', $opt{control} or return {};
    while (<$fh>) {
        my (undef, $no, @v) = split;
        $t{$no} = \@v if /^trade\s/;
    }
    close $fh;
    return \%t;
}


# What the gateway knows of its orders: { NO => { digest => D, made => T,
# closed => 1 } }.
sub state {
    my %s;

    return {} unless defined $opt{state};
    open my $fh, '<', $opt{state} or return {};
    while (<$fh>) {
        my ($what, $no, $d, $at) = split;
        next unless defined $no;
        if ($what eq 'order') {
            $s{$no}{digest} //= $d;
            $s{$no}{made} //= $at // 0;
        }
        $s{$no}{closed} = 1 if $what eq 'closed';
    }
    close $fh;
    return \%s;
}


# The fake's time: now, moved on by the control file's "clock N" lines.
sub now {
    my $t = time;

    return $t unless defined $opt{control};
    open my $fh, '<', $opt{control} or return $t;
    while (<$fh>) {
        $t += $1 if /^clock\s+(-?\d+)\s*$/;
    }
    close $fh;
    return $t;
}


sub state_add {
    my ($line) = @_;

    return unless defined $opt{state};
    open my $fh, '>>', $opt{state} or die "$opt{state}: $!";
    print {$fh} "$line\n";
    close $fh;
}


# What every call does before its own work: records it (rec, with sig_ok,
# params_ok and mode added) in --log, then answers FAIL for a bad signature
# or bad parameters, or fails as the mode says when it is one of the
# transport's failures (timeout: no answer for 60 s; http500; garbage;
# fail).  1 when it answered (or never will), 0 when the call goes on.
sub refused {
    my ($c, $rec, $sig_ok, $params_ok, $mode) = @_;

    FeatFake::record($opt{log}, { %$rec, sig_ok => $sig_ok,
        params_ok => $params_ok, mode => $mode });

    if (!$sig_ok || !$params_ok) {
        answer($c, 200, xml({ return_code => 'FAIL',
            return_msg => $sig_ok ? 'missing or bad parameter'
                                  : '签名错误' }));
        return 1;
    }

    if ($mode eq 'timeout') {
        sleep 60;
    } elsif ($mode eq 'http500') {
        answer($c, 500, 'internal');
    } elsif ($mode eq 'garbage') {
        answer($c, 200, 'this is not xml');
    } elsif ($mode eq 'fail') {
        answer($c, 200, xml({ return_code => 'FAIL',
            return_msg => 'system busy' }));
    } else {
        return 0;
    }

    return 1;
}


sub serve {
    my ($c) = @_;
    my ($method, undef, $body, $path) = FeatFake::read_request($c, sub {
        answer($c, $_[0], '') })
        or return;

    return answer($c, 405, '') unless $method eq 'POST';

    my $p = parse($body);
    return answer($c, 200, xml({ return_code => 'FAIL',
        return_msg => 'XML format error' })) unless $p;

    my $hmac = ($p->{sign_type} // 'MD5') eq 'HMAC-SHA256';
    my $key = $keys{ $p->{mch_id} // '' };
    my $sig_ok = defined $key && defined $p->{sign}
        && $p->{sign} eq sign($p, $key, $hmac) ? 1 : 0;

    return orderquery($c, $p, $key, $hmac, $sig_ok)
        if ($path // '') =~ m{^/pay/orderquery/?$};
    return closeorder($c, $p, $key, $hmac, $sig_ok)
        if ($path // '') =~ m{^/pay/closeorder/?$};
    my $tt = $p->{trade_type} // '';
    my $params_ok = $appids{ $p->{appid} // '' }
        && ($p->{nonce_str} // '') =~ /^[0-9A-Za-z]{1,32}$/
        && defined $p->{body} && length($p->{body}) <= 128
        && ($p->{out_trade_no} // '') =~ /^[0-9A-Za-z_]{1,32}$/
        && ($p->{total_fee} // '') =~ /^[1-9][0-9]*$/
        && ($p->{spbill_create_ip} // '') =~ /^[0-9a-fA-F.:]+$/
        && ($p->{notify_url} // '') =~ m{^https?://[^?]+$}
        && ($p->{time_expire} // '') =~ /^\d{14}$/
        && $tt =~ /^(NATIVE|APP|JSAPI|MWEB)$/
        && ($tt ne 'JSAPI' || ($p->{openid} // '') ne '')
        && ($tt ne 'NATIVE' || ($p->{product_id} // '') ne '')
        && ($tt ne 'MWEB' || ($p->{scene_info} // '') =~ /h5_info/)
        && (!defined $p->{sign_type}
            || $p->{sign_type} =~ /^(MD5|HMAC-SHA256)$/) ? 1 : 0;

    my $mode = mode();
    my $prepay = sprintf('wx%d%08x', time, int(rand(0xffffffff)));

    return if refused($c, { params => $p, prepay_id => $prepay }, $sig_ok,
        $params_ok, $mode);

    my %a = (return_code => 'SUCCESS', return_msg => 'OK',
        appid => $p->{appid}, mch_id => $p->{mch_id},
        nonce_str => sprintf('%016x', int(rand(0xffffffff))),
        result_code => 'SUCCESS', trade_type => $tt, prepay_id => $prepay);
    $a{code_url} = "weixin://wxpay/bizpayurl?pr=$prepay" if $tt eq 'NATIVE';
    $a{mweb_url} = 'https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb'
        . "?prepay_id=$prepay&package=1" if $tt eq 'MWEB';
    $a{sign_type} = 'HMAC-SHA256' if $hmac;

    if ($mode eq 'result_fail') {
        delete @a{qw(prepay_id code_url mweb_url trade_type)};
        @a{qw(result_code err_code err_code_des)}
            = ('FAIL', 'ORDERPAID', 'order paid');
    }
    # one number, one order (only for the documented success: the other
    # modes test the transport)
    my $no = $p->{out_trade_no};
    my $digest = join('|', map { $_ // '' }
        @$p{qw(appid trade_type openid total_fee)});
    my $known = state()->{$no};
    my $trade = trades()->{$no};
    my @err;
    @err = ('ORDERPAID', 'order paid')
        if $trade && $trade->[0] eq 'SUCCESS';
    @err = ('ORDERCLOSED', 'order closed') if !@err && $known
        && $known->{closed};
    @err = ('OUT_TRADE_NO_USED', 'out_trade_no used') if !@err && $known
        && defined $known->{digest} && $known->{digest} ne $digest;
    if (@err && $mode eq 'ok') {
        delete @a{qw(prepay_id code_url mweb_url trade_type)};
        @a{qw(result_code err_code err_code_des)} = ('FAIL', @err);
    } elsif ($mode eq 'ok') {
        state_add("order $no $digest " . now());
    }
    delete @a{qw(code_url mweb_url)} if $mode eq 'nourl';
    $a{mch_id} = '1999999999' if $mode eq 'othermch';

    $a{sign} = sign(\%a, $mode eq 'badsign' ? 'not-the-key' : $key, $hmac);
    delete $a{sign} if $mode eq 'nosign';

    return answer($c, 200, xml(\%a));
}


sub orderquery {
    my ($c, $p, $key, $hmac, $sig_ok) = @_;
    my $params_ok = $appids{ $p->{appid} // '' }
        && ($p->{nonce_str} // '') =~ /^[0-9A-Za-z]{1,32}$/
        && (($p->{out_trade_no} // '') =~ /^[0-9A-Za-z_]{1,32}$/
            || defined $p->{transaction_id}) ? 1 : 0;
    my $mode = mode();

    return if refused($c, { path => '/pay/orderquery', params => $p },
        $sig_ok, $params_ok, $mode);

    my $t = trades()->{ $p->{out_trade_no} // '' };
    my $known = state()->{ $p->{out_trade_no} // '' };
    $t = [$known->{closed} ? 'CLOSED' : 'NOTPAY'] if !$t && $known;
    my %a = (return_code => 'SUCCESS', return_msg => 'OK',
        appid => $p->{appid}, mch_id => $p->{mch_id},
        nonce_str => sprintf('%016x', int(rand(0xffffffff))),
        result_code => 'SUCCESS');
    if (!$t) {
        @a{qw(result_code err_code err_code_des)}
            = ('FAIL', 'ORDERNOTEXIST', 'order not exist');
    } else {
        %a = (%a, out_trade_no => $p->{out_trade_no}, trade_state => $t->[0],
            trade_state_desc => $t->[0]);
        %a = (%a, total_fee => $t->[1], cash_fee => $t->[1],
            transaction_id => $t->[2], openid => 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o',
            trade_type => 'NATIVE', bank_type => 'CMC', fee_type => 'CNY',
            time_end => '20261207080000', is_subscribe => 'N')
            if $t->[0] eq 'SUCCESS';
    }
    $a{mch_id} = '1999999999' if $mode eq 'othermch';
    $a{sign_type} = 'HMAC-SHA256' if $hmac;
    $a{sign} = sign(\%a, $mode eq 'badsign' ? 'not-the-key' : $key, $hmac);
    delete $a{sign} if $mode eq 'nosign';

    return answer($c, 200, xml(\%a));
}


# pay/closeorder: closes a number for good, unless it was paid.
sub closeorder {
    my ($c, $p, $key, $hmac, $sig_ok) = @_;
    my $params_ok = $appids{ $p->{appid} // '' }
        && ($p->{nonce_str} // '') =~ /^[0-9A-Za-z]{1,32}$/
        && ($p->{out_trade_no} // '') =~ /^[0-9A-Za-z_]{1,32}$/ ? 1 : 0;
    my $mode = mode();

    return if refused($c, { path => '/pay/closeorder', params => $p },
        $sig_ok, $params_ok, $mode);

    my $no = $p->{out_trade_no};
    my $t = trades()->{$no};
    my $known = state()->{$no};
    my %a = (return_code => 'SUCCESS', return_msg => 'OK',
        appid => $p->{appid}, mch_id => $p->{mch_id},
        nonce_str => sprintf('%016x', int(rand(0xffffffff))),
        result_code => 'SUCCESS', result_msg => 'OK');
    if ($t && $t->[0] eq 'SUCCESS') {
        @a{qw(result_code err_code err_code_des)}
            = ('FAIL', 'ORDERPAID', 'order paid');
    } elsif ($known && $known->{closed}) {
        @a{qw(result_code err_code err_code_des)}
            = ('FAIL', 'ORDERCLOSED', 'order closed');
    } elsif ($known && now() - $known->{made} < 300) {
        # too soon after unifiedorder made it: not closed
        @a{qw(result_code err_code err_code_des)}
            = ('FAIL', 'SYSTEMERROR', '系统错误');
    } else {
        state_add("closed $no");
    }
    $a{sign_type} = 'HMAC-SHA256' if $hmac;
    $a{sign} = sign(\%a, $key, $hmac);

    return answer($c, 200, xml(\%a));
}


sub answer {
    my ($c, $status, $text) = @_;

    return FeatFake::answer($c, $status, 'text/xml; charset=utf-8', $text);
}

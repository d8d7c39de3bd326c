#!/usr/bin/perl

# 10-pay-notify-weixin.t: POST /api/pay/notify/weixin/ (issue 10): a good
# notify marks the order PAID once, with its transaction row, paid_at and
# the raw notify kept; a replay answers SUCCESS and changes nothing; a
# forged signature, a wrong amount, another merchant, another app's key,
# an unknown order and a message that is not XML change nothing and get
# WeChat's failure form; concurrent duplicate notifies leave one PAID and
# one transaction row.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(hmac_sha256_hex);
use POSIX ();
use FeatTest;
use JSON::PP qw(decode_json);
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $MCH = '1486158932';
my $KEY = 'notify-test-key-0123456789abcdef';
my $OA = 'wx4444aa5566666777';
my $N = '/api/pay/notify/weixin/';

my $t = FeatTest->new('jobs.interval' => 86400,
    'code.ip_hourly_limit' => 1000, 'code.hourly_limit' => 1000,
    'code.daily_limit' => 1000);
my ($st, $h, $j, $rc, $out, $err);

($rc, $out, $err) = $t->featctl('app', 'set', '', "weixin.mch_id=$MCH",
    "weixin.key=$KEY", "weixin.appid.official_account=$OA");
is($rc, 0, 'the merchant') or diag($err);
($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
($rc, $out, $err) = $t->featctl('app', 'set', 'shop',
    'weixin.mch_id=1900000002', 'weixin.key=the-shop-key',
    'weixin.appid.official_account=wxshop');
is($rc, 0, "another app's merchant") or diag($err);
# every worker rechecks the settings once the second it last checked in
# is over
select(undef, undef, undef, 1.1);
($rc, $out) = $t->featctl('--json', 'product', 'add', '--name', 'P',
    '--price-fen', 1234);
my $product = decode_json($out)->{id};

my $d = $t->register_v2('18900000001', 'secret-pw');
my $A = { token => $d->{access_token} };

sub order {
    my ($s, undef, $d) = $t->request('POST', '/api/pay/order/',
        { product_id => $product }, { -token => $A->{token} });
    die "order: $s" if $s != 201;
    return $d->{data};
}

sub row { return $t->db_row('SELECT * FROM pay_order WHERE id = ?', $_[0]) }

sub snap {
    my ($id) = @_;
    return FeatTest::json()->canonical->encode([ row($id),
        $t->db_rows('SELECT * FROM pay_transaction ORDER BY id') ]);
}

sub sign {
    my ($p, $key, $hmac) = @_;
    my $text = join('&', map { "$_=$p->{$_}" }
        grep { $_ ne 'sign' && $p->{$_} ne '' } sort keys %$p)
        . "&key=$key";
    return uc($hmac ? hmac_sha256_hex($text, $key) : md5_hex($text));
}

# A notify of order o as WeChat sends it, signed with key; %o overrides.
sub notify_xml {
    my ($o, %x) = @_;
    my $key = delete $x{-key} // $KEY;
    my $p = { appid => $OA, mch_id => $MCH, nonce_str => 'n' . int(rand(1e9)),
        result_code => 'SUCCESS', return_code => 'SUCCESS',
        openid => 'oUser', trade_type => 'NATIVE', bank_type => 'CMC',
        total_fee => $o->{amount_fen}, cash_fee => $o->{amount_fen},
        fee_type => 'CNY', transaction_id => '4200000' . $o->{id} . '2026',
        out_trade_no => $o->{out_trade_no}, time_end => '20261206230000',
        is_subscribe => 'N', %x };
    $p->{sign} = sign($p, $key) unless exists $x{sign};
    return '<xml>' . join('', map { "<$_><![CDATA[$p->{$_}]]></$_>" }
        sort keys %$p) . '</xml>';
}

sub notify {
    my ($xml) = @_;
    my ($s, $hd, $body) = $t->request('POST', $N, $xml,
        { 'Content-Type' => 'text/xml' });
    my ($code) = ($body // '') =~ m{<return_code><!\[CDATA\[(\w+)\]\]>};
    return ($s, $code // '', $hd);
}

# ---- a good notify, then its replay ----------------------------------------

my $o = order();
{
    my $xml = notify_xml($o);
    my ($s, $code, $hd) = notify($xml);
    is($s, 200, 'a good notify: 200');
    is($code, 'SUCCESS', '... WeChat\'s success form');
    like($hd->{'content-type'}, qr{^text/xml}, '... as XML');
    my $r = row($o->{id});
    is($r->{status}, 100, '... the order PAID');
    ok($r->{paid_at}, '... paid_at set');
    is($r->{transaction_id}, "4200000$o->{id}2026", '... the transaction id');
    is($r->{notify}, $xml, '... the raw notify kept');
    my $tx = $t->db_rows('SELECT * FROM pay_transaction WHERE order_id = ?',
        $o->{id});
    is(scalar @$tx, 1, '... one transaction row');
    is($tx->[0]{amount_fen}, 1234, '... of the amount');
    ($st, $h, $j) = $t->request('GET', "/api/pay/order/$o->{id}/", undef,
        { -token => $A->{token} });
    is($j->{data}{status}, 100, 'the order reads PAID');
    is($j->{data}{status_display}, '已支付', '... 已支付');
    ok($j->{data}{paid_at}, '... with paid_at');

    my $before = snap($o->{id});
    ($s, $code) = notify($xml);
    is($code, 'SUCCESS', 'the replay: SUCCESS');
    is(snap($o->{id}), $before, '... changing nothing');
    ($s, $code) = notify(notify_xml($o));
    is($code, 'SUCCESS', 'the same payment, a new nonce: SUCCESS');
    is(snap($o->{id}), $before, '... changing nothing');

}

# ---- refused notifies ------------------------------------------------------

{
    my $x = order();
    my $before = snap($x->{id});
    for my $c ([ notify_xml($x, -key => 'forged-key'), 'a forged signature' ],
        [ notify_xml($x, sign => ''), 'no signature' ],
        [ notify_xml($x, total_fee => 1, cash_fee => 1), 'a wrong amount' ],
        [ notify_xml($x, mch_id => '1900000002'), 'another merchant' ],
        [ notify_xml($x, appid => 'wxother'), 'an app id not the app\'s' ],
        [ notify_xml($x, mch_id => '1900000002', appid => 'wxshop',
            -key => 'the-shop-key'), "signed by another app's merchant" ],
        [ notify_xml($x, out_trade_no => 'nosuchorder'), 'an unknown order' ],
        [ notify_xml($x, return_code => 'FAIL'), 'return_code FAIL' ],
        [ '<xml><a>1</a><a>2</a></xml>', 'a name twice' ],
        [ '<!DOCTYPE x [<!ENTITY e "x">]><xml><a>&e;</a></xml>',
          'a DOCTYPE' ],
        [ 'out_trade_no=1&total_fee=1', 'not XML' ])
    {
        my ($s, $code) = notify($c->[0]);
        is($code, 'FAIL', "$c->[1]: WeChat's failure form");
        is(snap($x->{id}), $before, '... nothing changed');
    }
    ok((grep { /notify refused: bad signature/ }
        $t->log_lines('featcgi-error.log')), 'a forged notify is logged');

    my ($s, $code) = notify(notify_xml($x, result_code => 'FAIL',
        err_code => 'NOTENOUGH'));
    is($code, 'SUCCESS', 'a failed payment: acknowledged');
    is(row($x->{id})->{status}, 0, '... the order still UNPAID');
}

# ---- concurrent duplicate notifies ------------------------------------------

{
    my $x = order();
    my $xml = notify_xml($x);
    my @kids;
    for (1 .. 8) {
        my $pid = fork();
        die "fork: $!" if !defined $pid;
        if ($pid == 0) {
            my ($s, $code) = notify($xml);
            POSIX::_exit($code eq 'SUCCESS' ? 0 : 1);
        }
        push @kids, $pid;
    }
    my $ok = 0;
    for (@kids) { waitpid($_, 0); $ok++ if $? == 0 }
    is($ok, 8, 'eight racing duplicates: each SUCCESS');
    is(row($x->{id})->{status}, 100, '... the order PAID');
    is($t->db_value('SELECT count(*) FROM pay_transaction WHERE order_id = ?',
        $x->{id}), 1, '... one transaction row');
}

# ---- HMAC-SHA256 merchants --------------------------------------------------

{
    ($rc) = $t->featctl('app', 'set', '', 'weixin.sign_type=HMAC-SHA256');
    my $x = order();
    my $p;
    ok($t->wait_for(sub {
        my $xml = notify_xml($x, sign => '');
        my %f = $xml =~ m{<(\w+)><!\[CDATA\[(.*?)\]\]></\1>}g;
        delete $f{sign};
        $f{sign_type} = 'HMAC-SHA256';
        $f{sign} = sign(\%f, $KEY, 1);
        my ($s, $code) = notify('<xml>' . join('', map {
            "<$_><![CDATA[$f{$_}]]></$_>" } sort keys %f) . '</xml>');
        return $code eq 'SUCCESS';
    }), 'an HMAC-SHA256 merchant: its notify verifies');
    is(row($x->{id})->{status}, 100, '... PAID');
}

$t->stop;
done_testing;

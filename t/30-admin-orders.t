#!/usr/bin/perl

# 30-admin-orders.t: the console's orders (modules/pay/admin.c,
# featcgi-api(7) "ADMIN API").  Orders placed through the pay API, one
# paid by a WeChat Pay notify (signed as t/10-pay-notify-weixin.t signs
# it), one left to expire (FEAT_CLOCK_SHIFT), are listed by status as it
# is now and shown with their transactions and the notify as stored; a bad
# status is refused; another app's orders are not found.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::MD5 qw(md5_hex);
use JSON::PP qw(decode_json);
use FeatAdminContent qw(adm);
use FeatTest;
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $MCH = '1486158932';
my $KEY = 'notify-test-key-0123456789abcdef';
my $OA = 'wx4444aa5566666777';

my $t = FeatTest->new('jobs.interval' => 86400,
    'code.ip_hourly_limit' => 1000, -no_start => 1);
my ($st, $h, $j, $rc, $out, $err);

($rc, $out, $err) = $t->featctl('app', 'set', '', "weixin.mch_id=$MCH",
    "weixin.key=$KEY", "weixin.appid.official_account=$OA");
is($rc, 0, 'the merchant') or diag($err);
($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'app shop') or diag($err);
($rc, $out) = $t->featctl('--json', 'product', 'add', '--name', '会员',
    '--price-fen', 1234);
my $product = decode_json($out)->{id};
($rc, $out) = $t->featctl('--json', 'product', 'add', '--name', 'S',
    '--price-fen', 99, '--app', 'shop');
my $shop_product = decode_json($out)->{id};
$t->start;

my $A = { token => $t->register_v2('18900000001', 'secret-pw')
    ->{access_token} };
my $B = { token => $t->register_v2('18900000002', 'secret-pw',
    app => 'shop', headers => { -app => 'shop' })->{access_token} };

sub order {
    my ($u, $pid, $app) = @_;
    my ($s, undef, $d) = $t->request('POST', '/api/pay/order/',
        { product_id => $pid }, { -token => $u->{token},
        defined $app ? (-app => $app) : () });
    die "order: $s" if $s != 201;
    return $d->{data};
}

sub notify_xml {
    my ($o) = @_;
    my $p = { appid => $OA, mch_id => $MCH, nonce_str => 'n' . int(rand(1e9)),
        result_code => 'SUCCESS', return_code => 'SUCCESS',
        openid => 'oUser', trade_type => 'NATIVE', bank_type => 'CMC',
        total_fee => $o->{amount_fen}, cash_fee => $o->{amount_fen},
        fee_type => 'CNY', transaction_id => '4200000' . $o->{id} . '2026',
        out_trade_no => $o->{out_trade_no}, time_end => '20261206230000',
        is_subscribe => 'N' };
    my $text = join('&', map { "$_=$p->{$_}" }
        grep { $p->{$_} ne '' } sort keys %$p) . "&key=$KEY";
    $p->{sign} = uc(md5_hex($text));
    return '<xml>' . join('', map { "<$_><![CDATA[$p->{$_}]]></$_>" }
        sort keys %$p) . '</xml>';
}

my $paid = order($A, $product);
my $xml = notify_xml($paid);
($st, $h, my $body) = $t->request('POST', '/api/pay/notify/weixin/', $xml,
    { 'Content-Type' => 'text/xml' });
like($body, qr/SUCCESS/, 'the notify is taken');
is($t->db_value('SELECT status FROM pay_order WHERE id = ?', $paid->{id}),
    100, '... the order PAID');
my $open = order($A, $product);
my $shop = order($B, $shop_product, 'shop');

my $m = FeatAdminContent::manager($t, 'cashier', app => '');
my $ms = FeatAdminContent::manager($t, 'shopcashier', app => 'shop');

# ---- the list ------------------------------------------------------------

($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders');
is($st, 200, 'GET orders: 200');
is($j->{total}, 2, '... both of app "" (all by default)');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $open->{id}, $paid->{id} ],
    '... newest first');
my $it = $j->{data}[1];
is($it->{status}, 'paid', '... paid');
is($it->{status_display}, '已支付', '... 已支付');
is($it->{amount_fen}, 1234, '... amount_fen');
is($it->{subject}, '会员', '... subject');
is($it->{out_trade_no}, $paid->{out_trade_no}, '... out_trade_no');
is($it->{product_id}, $product, '... product_id');
is($it->{pay_method}, 'weixin', '... paid by WeChat');
like($it->{paid_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/,
    '... paid_at in ISO 8601');
is($j->{data}[0]{status}, 'unpaid', 'the other: unpaid');
ok(!defined $j->{data}[0]{paid_at}, '... paid_at null');

($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders?status=paid');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $paid->{id} ],
    'status=paid');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders?status=unpaid');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $open->{id} ],
    'status=unpaid');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders?status=closed');
is($j->{total}, 0, 'status=closed: none');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders?status=refunded');
is($st, 400, 'status=refunded: 400');
is($j->{error}{field}, 'status', '... naming status');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders?size=1&page=2');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $paid->{id} ],
    'page 2 of size 1');

# ---- one order -----------------------------------------------------------

($st, $j) = adm($m, 'GET', "/admin/api/apps/~/orders/$paid->{id}");
is($st, 200, 'GET orders/{id}: 200');
is($j->{data}{notify}, $xml, '... the notify as stored');
is($j->{data}{transaction_id}, "4200000$paid->{id}2026",
    '... the transaction id');
is(scalar @{ $j->{data}{transactions} }, 1, '... one transaction');
my $tx = $j->{data}{transactions}[0];
is($tx->{provider}, 'weixin', '... from WeChat Pay');
is($tx->{amount_fen}, 1234, '... of the amount');
is($tx->{notify}, $xml, '... with its notify');
is($tx->{notify}, $t->db_value('SELECT raw FROM pay_transaction'
    . ' WHERE order_id = ?', $paid->{id}), '... as the row holds it');

($st, $j) = adm($m, 'GET', "/admin/api/apps/~/orders/$open->{id}");
is_deeply($j->{data}{transactions}, [], 'an unpaid order: no transaction');
is($j->{data}{notify}, '', '... no notify');

for my $id (999999, 'x', $shop->{id}) {
    ($st, $j) = adm($m, 'GET', "/admin/api/apps/~/orders/$id");
    is($st, 404, "order $id: 404");
}
($st, $j) = adm($m, 'GET', "/admin/api/apps/shop/orders/$shop->{id}");
is($st, 404, 'A\'s manager: B\'s order by B\'s path: 404');
($st, $j) = adm($ms, 'GET', "/admin/api/apps/shop/orders/$shop->{id}");
is($st, 200, '... which B\'s manager reads');
($st, $j) = adm($ms, 'GET', "/admin/api/apps/~/orders/$paid->{id}");
is($st, 404, 'B\'s manager: A\'s order: 404');
($st, $j) = adm($ms, 'GET', '/admin/api/apps/shop/orders');
is($j->{total}, 1, 'B lists its one');

# ---- time closes ---------------------------------------------------------

# the order expires after pay.order_ttl (7200 s): read three hours later
# (the console session has idled out by then: sign in again)
$t->stop_processes;
$t->{opt}{env}{FEAT_CLOCK_SHIFT} = 3 * 3600;
$t->start;
$m = FeatAdminContent::manager($t, 'cashier', app => '');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders?status=closed');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $open->{id} ],
    'an expired order lists as closed');
is($j->{data}[0]{status}, 'closed', '... closed');
ok($j->{data}[0]{closed_at}, '... with closed_at');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/orders?status=unpaid');
is($j->{total}, 0, '... and not as unpaid');

done_testing;

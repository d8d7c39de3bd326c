#!/usr/bin/perl

# 10-pay-weixin.t: POST /api/pay/order/pay/ with WeChat Pay API v2
# (issue 10, seeds/000 "Pay: Weixin pay") against t/fake/weixin.pl: the
# signed pay/unifiedorder with every field, the four answer forms field by
# field with their signatures recomputed here (MD5 and HMAC-SHA256), the
# prepay reused, the scope, the 400, 404, 409 and 503 cases that never
# reach the gateway, and every way the gateway can fail (502, nothing
# stored).

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::MD5 qw(md5_hex);
use Digest::SHA qw(hmac_sha256_hex);
use File::Temp qw(tempdir);
use FeatFake;
use FeatTest;
use JSON::PP qw(decode_json);
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $MCH = '1486158932';
my $KEY = 'k' x 16 . 'EY0123456789abcd';
my $OA = 'wx4444aa5566666777';
my $IOS = 'wxjifrogd7x8g09t5s';

my $dir = tempdir(CLEANUP => 1);
my ($log, $control) = ("$dir/weixin.log", "$dir/control");
my ($gw_pid, $gw_port) = FeatFake::start('weixin.pl', 300,
    '--merchant', "$MCH=$KEY", '--appid', $OA, '--appid', $IOS,
    '--control', $control, '--log', $log);

my $t = FeatTest->new('weixin.timeout' => 2000, 'jobs.interval' => 86400,
    'code.ip_hourly_limit' => 1000, 'code.hourly_limit' => 1000,
    'code.daily_limit' => 1000);
my ($st, $h, $j, $rc, $out, $err);
my $PAY = '/api/pay/order/pay/';

sub mode {
    open my $fh, '>', $control or die "$control: $!";
    print {$fh} "$_[0]\n";
    close $fh;
}

sub requests {
    open my $fh, '<', $log or return ();
    my @r = map { decode_json($_) } <$fh>;
    close $fh;
    return @r;
}

sub last_request { my @r = requests(); return $r[-1] }

# featctl, then past the next whole second: every worker rechecks the
# settings version once the second it last checked in is over.
sub ctl {
    my ($rc, $out, $err) = $t->featctl(@_);
    is($rc, 0, "featctl @_") or diag($err);
    select(undef, undef, undef, 1.1) if $_[1] eq 'set';
}

ctl('app', 'set', '', "weixin.mch_id=$MCH", "weixin.key=$KEY",
    "weixin.appid.official_account=$OA", "weixin.appid.feat_ios_app=$IOS",
    "weixin.gateway=http://127.0.0.1:$gw_port",
    'accounts.default_scopes=read write pay_trade_order');

my $phone = 0;
sub user {
    my (%o) = @_;
    my $p = sprintf('188%08d', ++$phone);
    my $d = $t->register_v2($p, 'secret-pw', %o);
    my $uid = $t->db_value(
        'SELECT id FROM users WHERE phone = ? AND app_id = ?',
        $p, $o{app} // '');
    return { token => $d->{access_token}, uid => $uid };
}

sub api {
    my ($method, $path, $body, $u, %hd) = @_;
    return $t->request($method, $path, $body,
        { %hd, -token => $u->{token} });
}

my $A = user();
my $B = user();

($rc, $out, $err) = $t->featctl('--json', 'product', 'add', '--name',
    '会员月卡]]>', '--price-fen', 1500);
is($rc, 0, 'a product') or diag($err);
my $product = decode_json($out)->{id};

sub order {
    my ($u) = @_;
    my ($s, undef, $d) = api('POST', '/api/pay/order/',
        { product_id => $product, quantity => 2 }, $u // $A);
    die "order: $s" if $s != 201;
    return $d->{data};
}

sub row { return $t->db_row('SELECT * FROM pay_order WHERE id = ?', $_[0]) }

# API v2's signature, as the docs give it.
sub wx_sign {
    my ($p, $hmac) = @_;
    my $text = join('&', map { "$_=$p->{$_}" }
        grep { $p->{$_} ne '' } sort keys %$p) . "&key=$KEY";
    utf8::encode($text);
    return uc($hmac ? hmac_sha256_hex($text, $KEY) : md5_hex($text));
}

# ---- NATIVE, and the request's every field ---------------------------------

my $o = order();
{
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 0 }, $A);
    is($st, 200, 'NATIVE: 200') or diag(explain($j));
    is_deeply([ sort keys %$j ], [ 'data' ], '... under data');
    is_deeply([ sort keys %{ $j->{data} } ],
        [ qw(code_url prepay_id trade_type) ], '... the seed\'s fields');
    is($j->{data}{trade_type}, 'NATIVE', '... trade_type NATIVE');
    like($j->{data}{prepay_id}, qr/^wx\d+/, '... the prepay_id');
    is($j->{data}{code_url},
        "weixin://wxpay/bizpayurl?pr=$j->{data}{prepay_id}",
        "... the gateway's code_url");

    my $q = last_request();
    is($q->{sig_ok}, 1, 'the request is signed right (MD5)');
    is($q->{params_ok}, 1, '... with every field the docs require');
    my $p = $q->{params};
    is($p->{appid}, $OA, '... appid: the official account\'s (default)');
    is($p->{mch_id}, $MCH, '... mch_id');
    is($p->{total_fee}, 3000, '... total_fee: the order\'s amount');
    is($p->{out_trade_no}, $o->{out_trade_no}, '... out_trade_no');
    is($p->{body}, '会员月卡]]> x2', '... body: the subject, "]]>" intact');
    is($p->{trade_type}, 'NATIVE', '... trade_type');
    is($p->{product_id}, $o->{id}, '... product_id');
    is($p->{spbill_create_ip}, '127.0.0.1', '... the client address');
    like($p->{notify_url}, qr{^http://[^/]+/api/pay/notify/weixin/$},
        '... notify_url');
    ok(!exists $p->{sign_type}, '... no sign_type for MD5');
    my @g = gmtime(row($o->{id})->{expires_at} + 8 * 3600);
    is($p->{time_expire}, sprintf('%04d%02d%02d%02d%02d%02d', $g[5] + 1900,
        $g[4] + 1, @g[3, 2, 1, 0]), '... time_expire: expires_at, China time');

    my $r = row($o->{id});
    is($r->{prepay_id}, $j->{data}{prepay_id}, 'the prepay is stored');
    is($r->{pay_method}, 200, '... with the pay method');
    is($r->{end_type}, 0, '... and the end type');
    is($r->{status}, 0, '... the order still UNPAID');
    ($st, $h, $j) = api('GET', "/api/pay/order/$o->{id}/", undef, $A);
    is($j->{data}{pay_method}, 200, 'the order reads pay_method 200');

    my $n = () = requests();
    my $first = $r->{prepay_id};
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 0 }, $A);
    is($st, 200, 'the same pay again: 200');
    is($j->{data}{prepay_id}, $first, '... the same prepay_id');
    is($j->{data}{code_url}, "weixin://wxpay/bizpayurl?pr=$first",
        '... the same code_url');
    is(scalar(() = requests()), $n, '... without a second unifiedorder');

    $t->dbh->do('UPDATE pay_attempt SET prepay_at = prepay_at - 7000'
        . ' WHERE order_id = ?', undef, $o->{id});
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 0 }, $A);
    is(scalar(() = requests()), $n + 1,
        'a prepay about to lapse: a new unifiedorder');
    isnt($j->{data}{prepay_id}, $first, '... a new prepay_id');
}

# ---- APP --------------------------------------------------------------------

{
    my $n = () = requests();
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 100,
        extra_params => { wx_app_type => 'feat_ios_app' } }, $A);
    is($st, 200, 'APP: 200') or diag(explain($j));
    # another end type is another attempt: the NATIVE one closed first
    is(scalar(() = requests()), $n + 2, '... another end type: a new prepay');
    # the NATIVE one is younger than WeChat's 5 minutes: asked, not closed
    is((requests())[-2]{path}, '/pay/orderquery', '... after an orderquery'
        . ' (too young for closeorder)');
    is(last_request()->{params}{out_trade_no}, $o->{out_trade_no} . '_2',
        '... under a new out_trade_no');
    my $d = $j->{data};
    is_deeply([ sort keys %$d ], [ sort qw(package timestamp prepayid appid
        partnerid noncestr sign) ], '... the seed\'s fields');
    is($d->{package}, 'Sign=WXPay', '... package Sign=WXPay');
    like($d->{timestamp}, qr/^\d+$/, '... timestamp an integer');
    ok(abs($d->{timestamp} - time) < 3600, '... of now');
    is($d->{appid}, $IOS, '... appid: the app\'s');
    is($d->{partnerid}, $MCH, '... partnerid: the merchant');
    is($d->{prepayid}, last_request()->{prepay_id}, '... the prepayid');
    like($d->{noncestr}, qr/^[0-9A-Za-z]{32}$/, '... a noncestr');
    is($d->{sign}, wx_sign({ map { $_ => $d->{$_} }
        qw(appid noncestr package partnerid prepayid timestamp) }),
        '... sign recomputed');
    is(last_request()->{params}{appid}, $IOS, '... unifiedorder for the app');
    is(last_request()->{params}{trade_type}, 'APP', '... trade_type APP');
    $h = undef;
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 100,
        extra_params => { wx_app_type => 'feat_ios_app' } }, $A);
    is($j->{data}{prepayid}, $d->{prepayid}, 'APP again: reused');
    isnt($j->{data}{noncestr}, $d->{noncestr}, '... with a fresh noncestr');
    is($j->{data}{sign}, wx_sign({ map { $_ => $j->{data}{$_} }
        qw(appid noncestr package partnerid prepayid timestamp) }),
        '... signed again');
}

# ---- JSAPI -----------------------------------------------------------------

{
    my $n = () = requests();
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 200 }, $A);
    is($st, 400, 'JSAPI without open_id: 400');
    is($j->{code}, 'invalid', '... invalid');
    ok($j->{errors}{open_id}, '... errors.open_id');
    is(scalar(() = requests()), $n, '... the gateway not called');

    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 200,
        extra_params => { open_id => 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } }, $A);
    is($st, 200, 'JSAPI: 200') or diag(explain($j));
    ok(!exists $j->{data}, '... at the top level, no data');
    is_deeply([ sort keys %$j ], [ sort qw(appId timeStamp nonceStr package
        signType paySign) ], '... the seed\'s fields');
    is($j->{appId}, $OA, '... appId');
    like($j->{timeStamp}, qr/^\d+$/, '... timeStamp an integer');
    is($j->{package}, 'prepay_id=' . last_request()->{prepay_id},
        '... package prepay_id=');
    is($j->{signType}, 'MD5', '... signType MD5');
    is($j->{paySign}, wx_sign({ map { $_ => $j->{$_} }
        qw(appId timeStamp nonceStr package signType) }),
        '... paySign recomputed');
    my $p = last_request()->{params};
    is($p->{openid}, 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', '... the openid sent');
    is($p->{trade_type}, 'JSAPI', '... trade_type JSAPI');

    # a prepay_id is bound to the openid it was made for: another payer
    # gets a new unifiedorder, never the first payer's prepay
    my $first = $j->{package};
    $n = () = requests();
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 200,
        extra_params => { open_id => 'another_payer' } }, $A);
    is($st, 200, 'JSAPI for another payer: 200');
    is(scalar(() = requests()), $n + 2,
        '... after an orderquery and a new unifiedorder');
    is(last_request()->{params}{openid}, 'another_payer',
        '... for that payer\'s openid');
    isnt($j->{package}, $first, '... not the first payer\'s prepay_id');
    is($j->{package}, 'prepay_id=' . last_request()->{prepay_id},
        '... but the new one');
    is(row($o->{id})->{prepay_key}, "$OA/another_payer",
        '... stored for that payer');
    my $second = $j->{package};
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 200,
        extra_params => { open_id => 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } }, $A);
    is(scalar(() = requests()), $n + 4,
        'the first payer again: a new attempt too');
    ok($j->{package} ne $first && $j->{package} ne $second,
        '... neither earlier prepay_id');
}

# ---- H5 ---------------------------------------------------------------------

{
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o->{id},
        pay_method => 200, end_type => 300 }, $A);
    is($st, 200, 'H5: 200') or diag(explain($j));
    is_deeply([ sort keys %{ $j->{data} } ],
        [ qw(mweb_url prepay_id trade_type) ], '... the seed\'s fields');
    is($j->{data}{trade_type}, 'MWEB', '... trade_type MWEB');
    my $pid = $j->{data}{prepay_id};
    like($j->{data}{mweb_url},
        qr{^https://wx\.tenpay\.com/.*prepay_id=\Q$pid\E},
        "... the gateway's mweb_url");
    my $p = last_request()->{params};
    is($p->{trade_type}, 'MWEB', '... trade_type MWEB sent');
    like($p->{scene_info}, qr/"h5_info"/, '... with scene_info');
}

# ---- HMAC-SHA256 ------------------------------------------------------------

{
    ctl('app', 'set', '', 'weixin.sign_type=HMAC-SHA256');
    my $o2;
    ok($t->wait_for(sub {
        $o2 = order();
        ($st, $h, $j) = api('POST', $PAY, { order_id => $o2->{id},
            pay_method => 200, end_type => 200,
            extra_params => { open_id => 'oHmac' } }, $A);
        return $st == 200 && $j->{signType} eq 'HMAC-SHA256';
    }), 'weixin.sign_type=HMAC-SHA256 takes effect');
    my $q = last_request();
    is($q->{params}{sign_type}, 'HMAC-SHA256', '... the request says so');
    is($q->{sig_ok}, 1, '... and is signed so');
    is($j->{paySign}, wx_sign({ map { $_ => $j->{$_} }
        qw(appId timeStamp nonceStr package signType) }, 1),
        '... paySign HMAC-SHA256 recomputed');
    ($st, $h, $j) = api('POST', $PAY, { order_id => $o2->{id},
        pay_method => 200, end_type => 100,
        extra_params => { wx_app_type => 'feat_ios_app' } }, $A);
    is($j->{data}{sign}, wx_sign({ map { $_ => $j->{data}{$_} }
        qw(appid noncestr package partnerid prepayid timestamp) }, 1),
        '... the APP sign too');
    ctl('app', 'set', '', 'weixin.sign_type=MD5');
}

# ---- refused before the gateway ---------------------------------------------

{
    my $o3 = order();
    my $n = () = requests();
    my $pay = sub { my ($b, $u) = @_;
        return api('POST', $PAY, { order_id => $o3->{id}, pay_method => 200,
            end_type => 0, %$b }, $u // $A) };

    for my $c ([ { pay_method => 0 }, 'UnionPay' ],
        [ { pay_method => 100, end_type => 200 }, 'Alipay JSAPI' ],
        [ { end_type => 400 }, 'WeChat end_type 400' ],
        [ { pay_method => 300 }, 'pay_method 300' ])
    {
        ($st, $h, $j) = $pay->($c->[0]);
        is($st, 400, "$c->[1]: 400");
        is($j->{code}, 'unsupported_pay_method', '... unsupported_pay_method');
    }
    ($st, $h, $j) = $pay->({ order_id => undef });
    is($st, 400, 'no order_id: 400');
    ok($j->{errors}{order_id}, '... errors.order_id');
    ($st, $h, $j) = $pay->({ extra_params => { wx_app_type => 'tv' } });
    is($st, 400, 'an unknown wx_app_type: 400');
    ok($j->{errors}{extra_params}, '... errors.extra_params');
    ($st, $h, $j) = $pay->({ extra_params => 'x' });
    is($st, 400, 'extra_params not an object: 400');
    ($st, $h, $j) = $pay->({}, $B);
    is($st, 404, "another user's order: 404");
    is($j->{code}, 'not_found', '... not_found');
    ($st, $h, $j) = $pay->({ order_id => 99999999 });
    is($st, 404, 'no such order: 404');

    for my $c ([ 'status = 100', 'a PAID order' ],
        [ 'status = 200, closed_at = 1', 'a CLOSED order' ],
        [ 'expires_at = 1', 'an expired order' ])
    {
        my $x = order();
        $t->dbh->do("UPDATE pay_order SET $c->[0] WHERE id = ?", undef,
            $x->{id});
        ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
            pay_method => 200, end_type => 0 }, $A);
        is($st, 409, "$c->[1]: 409");
        is($j->{code}, 'invalid_transition', '... invalid_transition');
        is(row($x->{id})->{prepay_id}, undef, '... nothing stored');
    }
    is(scalar(() = requests()), $n, 'none of these called the gateway');

    # the scope: pay_trade_order alone is what counts
    ctl('app', 'set', '', 'accounts.default_scopes=read write');
    my $C;
    ok($t->wait_for(sub { $C = user(); return $t->db_value('SELECT scope'
        . ' FROM sessions WHERE user_id = ?', $C->{uid}) eq 'read write' }),
        'a user whose session has read write only');
    my $x = order($C);
    ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
        pay_method => 200, end_type => 0 }, $C);
    is($st, 403, 'a token without pay_trade_order: 403');
    is($j->{code}, 'insufficient_scope', '... insufficient_scope');
    ctl('app', 'set', '', 'accounts.default_scopes=pay_trade_order');
    my $D;
    ok($t->wait_for(sub { $D = user(); return $t->db_value('SELECT scope'
        . ' FROM sessions WHERE user_id = ?', $D->{uid}) eq 'pay_trade_order'
        }), 'a user whose session has pay_trade_order only');
    $t->dbh->do('UPDATE pay_order SET user_id = ? WHERE id = ?', undef,
        $D->{uid}, $x->{id});
    ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
        pay_method => 200, end_type => 0 }, $D);
    is($st, 200, 'a token of pay_trade_order alone: 200');
    ($st, $h, $j) = api('POST', '/api/pay/order/', { product_id => $product },
        $D);
    is($st, 403, '... which cannot make an order (write)');
    ctl('app', 'set', '', 'accounts.default_scopes=read write pay_trade_order');

    # an app without a merchant
    ctl('app', 'add', 'shop');
    ctl('app', 'set', 'shop',
        'accounts.default_scopes=read write pay_trade_order');
    ($rc, $out) = $t->featctl('--json', 'product', 'add', '--app', 'shop',
        '--name', 'S', '--price-fen', 5);
    my $sp = decode_json($out)->{id};
    my $S = user(app => 'shop', headers => { -app => 'shop' });
    ($st, $h, $j) = api('POST', '/api/pay/order/', { product_id => $sp }, $S,
        -app => 'shop');
    my $so = $j->{data}{id};
    $n = () = requests();
    ($st, $h, $j) = api('POST', $PAY, { order_id => $so, pay_method => 200,
        end_type => 0 }, $S, -app => 'shop');
    is($st, 503, 'an app without a WeChat merchant: 503');
    is($j->{code}, 'payment_unavailable', '... payment_unavailable');
    ctl('app', 'set', 'shop', "weixin.mch_id=$MCH", "weixin.key=$KEY",
        "weixin.gateway=http://127.0.0.1:$gw_port");
    ok($t->wait_for(sub {
        ($st, $h, $j) = api('POST', $PAY, { order_id => $so,
            pay_method => 200, end_type => 100,
            extra_params => { wx_app_type => 'feat_ios_app' } }, $S,
            -app => 'shop');
        return $st == 503;
    }), 'a merchant without the app id of the wx_app_type: 503');
    is(scalar(() = requests()), $n, '... the gateway not called');
}

# ---- the gateway failing ----------------------------------------------------

{
    for my $m (qw(fail result_fail badsign nosign othermch nourl http500
        garbage timeout))
    {
        mode($m);
        my $x = order();
        my $before = row($x->{id});
        my $n = () = requests();
        ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
            pay_method => 200, end_type => 0 }, $A);
        is($st, 502, "gateway $m: 502");
        is($j->{code}, 'payment_gateway_error', '... payment_gateway_error');
        is(scalar(() = requests()), $n + 1, '... after one call');
        is_deeply(row($x->{id}), $before, '... nothing stored');
    }
    mode('ok');
    my @log = $t->log_lines('featcgi-error.log');
    ok((grep { /unifiedorder/ && /signature is wrong/ } @log),
        'the bad signature is logged');
    ok((grep { /unifiedorder of order/ && /\b[0-9a-f]{32}\b/ } @log),
        '... the failure with the request id');
}

$t->stop;
FeatFake::stop($gw_pid);
done_testing;

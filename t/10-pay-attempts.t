#!/usr/bin/perl

# 10-pay-attempts.t: one out_trade_no per payment attempt, against
# t/fake/weixin.pl and t/fake/alipay.pl, which answer a number as the
# providers' docs say (one number, one trade; closeorder;
# alipay.trade.close).  Switching end type (APP to JSAPI) or provider
# (WeChat to Alipay) on one order closes the open attempt at its gateway
# and makes a new one under a new number, whose notify pays the order; a
# close that finds the attempt paid settles the order and makes no new
# attempt; a gateway down during the close refuses the pay with nothing
# stored; a late notify of a closed attempt after another one paid keeps
# the order PAID once and records the transaction and an audit row
# pay.double_payment; another user can neither pay nor read the order.
# WeChat closes an order only 5 minutes after it was made (the fake keeps
# that rule): a younger attempt is queried instead and its close owed to
# the jobs process, which asks it when due, again after a failure, and
# finds a payment of it that a lost notify hid (pay.double_payment).

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::MD5 qw(md5_hex);
use Encode qw(encode_utf8);
use File::Temp qw(tempdir tempfile);
use FeatFake;
use FeatPay qw(put lines);
use FeatTest;
use HTTP::Tiny;
use JSON::PP qw(decode_json);
use MIME::Base64 qw(encode_base64);
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $AID = '2021000000000001';
my $MCH = '1486158932';
my $KEY = 'attempt-test-wx-key-0123456789ab';
my $OA = 'wx4444aa5566666777';
my $IOS = 'wxjifrogd7x8g09t5s';
my $PAY = '/api/pay/order/pay/';

my $dir = tempdir('featcgi-pay-XXXXXX', TMPDIR => 1, CLEANUP => 1);
FeatPay::rsa_keys($dir, qw(app alipay));

my $f = FeatPay::fakes($dir, $AID, "$MCH=$KEY", $OA, $IOS);
my ($alog, $actl, $wlog, $wctl) = @$f{qw(alog actl wlog wctl)};
my ($ali_pid, $ali_port, $wx_pid, $wx_port) =
    @$f{qw(ali_pid ali_port wx_pid wx_port)};

my $t = FeatPay::featcgi();
my ($st, $h, $j, $rc, $out, $err);

($rc, $out, $err) = $t->featctl('app', 'set', '', "alipay.app_id=$AID",
    "alipay.private_key=\@$dir/app.pem",
    "alipay.public_key=\@$dir/alipay.pub",
    "alipay.gateway=http://127.0.0.1:$ali_port/gateway.do",
    "weixin.mch_id=$MCH", "weixin.key=$KEY",
    "weixin.appid.official_account=$OA", "weixin.appid.feat_ios_app=$IOS",
    "weixin.gateway=http://127.0.0.1:$wx_port",
    'accounts.default_scopes=read write pay_trade_order');
is($rc, 0, 'the merchants') or diag($err);
select(undef, undef, undef, 1.1);
($rc, $out, $err) = $t->featctl('--json', 'product', 'add', '--name', 'P',
    '--price-fen', 1234);
is($rc, 0, 'a product') or diag($err);
my $product = decode_json($out)->{id};

my $A = { token => $t->register_v2('18700000001', 'secret-pw')
    ->{access_token} };
my $B = { token => $t->register_v2('18700000002', 'secret-pw')
    ->{access_token} };

sub api {
    my ($method, $path, $body, $u) = @_;
    return $t->request($method, $path, $body, { -token => $u->{token} });
}

sub order {
    my ($s, undef, $d) = api('POST', '/api/pay/order/',
        { product_id => $product }, $A);
    die "order: $s" if $s != 201;
    return $d->{data};
}

sub wx_pay {
    my ($o, $end, %extra) = @_;
    return api('POST', $PAY, { order_id => $o->{id}, pay_method => 200,
        end_type => $end, %extra ? (extra_params => \%extra) : () }, $A);
}

sub ali_pay {
    my ($o, $end) = @_;
    return api('POST', $PAY, { order_id => $o->{id}, pay_method => 100,
        end_type => $end }, $A);
}

sub attempts {
    return $t->db_rows('SELECT * FROM pay_attempt WHERE order_id = ?'
        . ' ORDER BY id', $_[0]);
}

sub row { return $t->db_row('SELECT * FROM pay_order WHERE id = ?', $_[0]) }

sub snap {
    my ($id) = @_;
    return FeatTest::json()->canonical->encode([ row($id), attempts($id),
        $t->db_rows('SELECT * FROM pay_transaction WHERE order_id = ?'
            . ' ORDER BY id', $id) ]);
}

sub wx_sign {
    my ($p) = @_;
    return uc(md5_hex(join('&', map { "$_=$p->{$_}" }
        grep { $_ ne 'sign' && $p->{$_} ne '' } sort keys %$p)
        . "&key=$KEY"));
}

# WeChat's signed notify of the payment txn of number no.
sub wx_notify {
    my ($o, $no, $txn) = @_;
    my $p = { appid => $OA, mch_id => $MCH, nonce_str => 'n' . int(rand(1e9)),
        result_code => 'SUCCESS', return_code => 'SUCCESS',
        openid => 'oUser', trade_type => 'JSAPI', bank_type => 'CMC',
        total_fee => $o->{amount_fen}, cash_fee => $o->{amount_fen},
        fee_type => 'CNY', transaction_id => $txn, out_trade_no => $no,
        time_end => '20261206230000', is_subscribe => 'N' };
    $p->{sign} = wx_sign($p);
    my ($s, undef, $body) = $t->request('POST', '/api/pay/notify/weixin/',
        '<xml>' . join('', map { "<$_><![CDATA[$p->{$_}]]></$_>" }
            sort keys %$p) . '</xml>', { 'Content-Type' => 'text/xml' });
    my ($code) = ($body // '') =~ m{<return_code><!\[CDATA\[(\w+)\]\]>};
    return ($s, $code // '');
}

sub cn_time {
    my @g = gmtime($_[0] + 8 * 3600);
    return sprintf('%04d-%02d-%02d %02d:%02d:%02d', $g[5] + 1900, $g[4] + 1,
        @g[3, 2, 1, 0]);
}

sub url_encode {
    my ($s) = @_;
    $s = encode_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord($1))/ge;
    return $s;
}

# Alipay's signed notify of the payment txn of number no.
sub ali_notify {
    my ($o, $no, $txn) = @_;
    my $yuan = sprintf('%d.%02d', int($o->{amount_fen} / 100),
        $o->{amount_fen} % 100);
    my $p = { notify_time => cn_time(time), notify_type => 'trade_status_sync',
        notify_id => 'ac05099524730693a8b330c5' . int(rand(1e6)),
        app_id => $AID, charset => 'utf-8', version => '1.0',
        sign_type => 'RSA2', trade_no => $txn, out_trade_no => $no,
        buyer_id => '2088102122524333', seller_id => '2088101106499364',
        trade_status => 'TRADE_SUCCESS', total_amount => $yuan,
        receipt_amount => $yuan, buyer_pay_amount => $yuan, subject => 'P',
        gmt_create => cn_time(time - 60), gmt_payment => cn_time(time) };
    my $text = join('&', map { "$_=$p->{$_}" }
        grep { $_ ne 'sign' && $_ ne 'sign_type' && $p->{$_} ne '' }
        sort keys %$p);
    my ($fh, $in) = tempfile(DIR => $dir);
    print {$fh} encode_utf8($text);
    close $fh;
    $p->{sign} = encode_base64(
        scalar(`openssl dgst -sha256 -sign '$dir/alipay.pem' '$in'`), '');
    unlink $in;
    my ($s, undef, $body) = $t->request('POST', '/api/pay/notify/alipay/',
        join('&', map { "$_=" . url_encode($p->{$_}) } sort keys %$p),
        { 'Content-Type' => 'application/x-www-form-urlencoded' });
    return ($s, $body // '');
}

# ---- WeChat APP, then JSAPI -------------------------------------------------

my $o = order();
my ($no1, $no2);
{
    ($st) = wx_pay($o, 100, wx_app_type => 'feat_ios_app');
    is($st, 200, 'APP: 200');
    my $at = attempts($o->{id});
    is(scalar(@$at), 1, '... one attempt');
    $no1 = $at->[0]{out_trade_no};
    is($no1, $o->{out_trade_no}, '... under the order\'s own number');
    is($at->[0]{provider_app}, $IOS, '... for the app\'s appid');

    my $n = () = lines($wlog);
    ($st, $h, $j) = wx_pay($o, 200, open_id => 'oUser');
    is($st, 200, 'then JSAPI: 200') or diag(explain($j));
    my @r = lines($wlog);
    is(scalar(@r), $n + 2, '... two gateway calls');
    # younger than the 5 minutes WeChat wants before a closeorder
    is($r[-2]{path}, '/pay/orderquery', '... an orderquery first');
    is($r[-2]{params}{out_trade_no}, $no1, '... of the first number');
    is($r[-2]{params}{appid}, $IOS, '... with its appid');
    $no2 = $r[-1]{params}{out_trade_no};
    is($no2, "$o->{out_trade_no}_2", '... then unifiedorder, a new number');
    is($r[-1]{params}{trade_type}, 'JSAPI', '... JSAPI');
    like($j->{package}, qr/^prepay_id=\Q$r[-1]{prepay_id}\E$/,
        '... whose prepay is answered');
    $at = attempts($o->{id});
    is(scalar(@$at), 2, '... two attempts stored');
    ok(defined $at->[0]{closed_at}, '... the first closed');
    is($at->[0]{close_due}, $at->[0]{created_at} + 330,
        '... its close at WeChat owed 5.5 minutes after it was made');
    ok(!defined $at->[1]{closed_at}, '... the second open');
    ok(!defined $at->[1]{close_due}, '... owing no close');
    is($at->[1]{out_trade_no}, $no2, '... under the new number');
    is($at->[1]{prepay_id}, $r[-1]{prepay_id}, '... with its prepay_id');

    # the closed number is closed at the gateway for good
    put($wctl, 'ok');
    my $n2 = () = lines($wlog);
    ($st, $h, $j) = wx_pay($o, 200, open_id => 'oUser');
    is($st, 200, 'JSAPI again: 200');
    is(scalar(() = lines($wlog)), $n2, '... its prepay reused, no call');

    ($st, my $code) = wx_notify($o, $no2, '4200000000000000000002');
    is($st, 200, 'the notify of the second attempt: 200');
    is($code, 'SUCCESS', '... acknowledged');
    my $r = row($o->{id});
    is($r->{status}, 100, '... the order PAID');
    is($r->{transaction_id}, '4200000000000000000002', '... by it');
    is($r->{out_trade_no}, $o->{out_trade_no},
        '... the order keeps its own number');
    ($st, $h, $j) = api('GET', "/api/pay/order/$o->{id}/", undef, $A);
    is($j->{data}{out_trade_no}, $o->{out_trade_no},
        '... which its answer shows');
}

# ---- a late notify of the closed first attempt --------------------------------

{
    my $before = $t->db_value('SELECT paid_at FROM pay_order WHERE id = ?',
        $o->{id});
    my ($s, $code) = wx_notify($o, $no1, '4200000000000000000001');
    is($s, 200, 'a late notify of the closed attempt: 200');
    is($code, 'SUCCESS', '... acknowledged (the money is recorded)');
    my $r = row($o->{id});
    is($r->{status}, 100, '... the order PAID');
    is($r->{transaction_id}, '4200000000000000000002', '... once, by the first'
        . ' payment');
    is($r->{paid_at}, $before, '... at its time');
    my $tx = $t->db_rows('SELECT transaction_id FROM pay_transaction'
        . ' WHERE order_id = ? ORDER BY id', $o->{id});
    is_deeply([ map { $_->{transaction_id} } @$tx ],
        [ '4200000000000000000002', '4200000000000000000001' ],
        '... both transactions recorded');
    my $ev = $t->db_rows('SELECT * FROM audit WHERE action = ?',
        'pay.double_payment');
    is(scalar(@$ev), 1, '... one audit row pay.double_payment');
    my $d = decode_json($ev->[0]{detail});
    is($d->{order_id}, $o->{id}, '... of the order');
    is($d->{transaction_id}, '4200000000000000000002', '... the first id');
    is($d->{double_transaction_id}, '4200000000000000000001',
        '... and the second');
    ($s, $code) = wx_notify($o, $no1, '4200000000000000000001');
    is($code, 'SUCCESS', 'the same notify replayed: acknowledged');
    is($t->db_value('SELECT count(*) FROM audit WHERE action = ?',
        'pay.double_payment'), 1, '... no second audit row');
    is($t->db_value('SELECT count(*) FROM pay_transaction WHERE order_id = ?',
        $o->{id}), 2, '... no third transaction');
}

# ---- WeChat, then Alipay --------------------------------------------------------

{
    my $x = order();
    ($st) = wx_pay($x, 0);
    is($st, 200, 'NATIVE at WeChat: 200');
    my $wn = () = lines($wlog);
    ($st, $h, $j) = ali_pay($x, 0);
    is($st, 200, 'then NATIVE at Alipay: 200') or diag(explain($j));
    my @w = lines($wlog);
    is(scalar(@w), $wn + 1, '... one WeChat call');
    is($w[-1]{path}, '/pay/orderquery', '... the orderquery (too young to'
        . ' close)');
    is($w[-1]{params}{out_trade_no}, $x->{out_trade_no},
        '... of the WeChat number');
    my @a = lines($alog);
    is($a[-1]{params}{method}, 'alipay.trade.precreate', '... a precreate');
    is($a[-1]{biz}{out_trade_no}, "$x->{out_trade_no}_2",
        '... under a new number');
    my $at = attempts($x->{id});
    is_deeply([ map { [ $_->{provider}, defined $_->{closed_at} ? 1 : 0 ] }
        @$at ], [ [ 200, 1 ], [ 100, 0 ] ],
        '... stored: WeChat closed, Alipay open');

    my ($s, $body) = ali_notify($x, "$x->{out_trade_no}_2", '2026120722001T2');
    is($s, 200, 'the Alipay notify: 200');
    is($body, 'success', '... success');
    is(row($x->{id})->{status}, 100, '... the order PAID');
    is(row($x->{id})->{pay_method}, 100, '... by Alipay');
}

# ---- a close that finds the attempt paid --------------------------------------

# an attempt made more than 5 minutes ago: its close is asked for at once
sub age {
    my ($x, $s) = @_;
    $t->dbh->do('UPDATE pay_attempt SET created_at = created_at - ?'
        . ' WHERE order_id = ?', undef, $s, $x->{id});
}

{
    my $x = order();
    ($st) = wx_pay($x, 0);
    is($st, 200, 'NATIVE at WeChat: 200');
    age($x, 400);
    put($wctl, 'ok', 'clock 400',
        "trade $x->{out_trade_no} SUCCESS $x->{amount_fen}"
        . ' 4200000000000000000099');
    my $an = () = lines($alog);
    ($st, $h, $j) = ali_pay($x, 0);
    is($st, 409, 'then at Alipay, the WeChat one paid meanwhile: 409');
    my @w = lines($wlog);
    is($w[-2]{path}, '/pay/closeorder', '... the closeorder said ORDERPAID');
    is($w[-1]{path}, '/pay/orderquery', '... the orderquery told how');
    is(scalar(() = lines($alog)), $an, '... Alipay not called');
    is(scalar(@{ attempts($x->{id}) }), 1, '... no new attempt');
    my $r = row($x->{id});
    is($r->{status}, 100, '... the order settled PAID');
    is($r->{transaction_id}, '4200000000000000000099', '... by that payment');
    is($t->db_value('SELECT count(*) FROM pay_transaction WHERE order_id = ?',
        $x->{id}), 1, '... with its transaction row');
    ($st, $h, $j) = api('GET', "/api/pay/order/$x->{id}/", undef, $A);
    is($j->{data}{status}, 100, '... and reads PAID');
    put($wctl, 'ok');
}

# ---- the gateway down during the close ----------------------------------------

{
    my $x = order();
    ($st) = wx_pay($x, 0);
    is($st, 200, 'NATIVE at WeChat: 200');
    my $before = snap($x->{id});
    for my $mode (qw(http500 fail garbage)) {
        put($wctl, $mode);
        my $an = () = lines($alog);
        ($st, $h, $j) = ali_pay($x, 0);
        is($st, 502, "then at Alipay, WeChat's close $mode: 502");
        is(scalar(() = lines($alog)), $an, '... Alipay not called');
        is(snap($x->{id}), $before, '... nothing stored');
        ($st) = wx_pay($x, 100, wx_app_type => 'feat_ios_app');
        is($st, 502, '... nor another WeChat end type');
        is(snap($x->{id}), $before, '... nothing stored');
    }
    put($wctl, 'ok');
    ($st) = ali_pay($x, 0);
    is($st, 200, 'the gateway back: 200');
    is(scalar(@{ attempts($x->{id}) }), 2, '... a second attempt');
}

# ---- WeChat's five minutes: a close owed, asked by the jobs process ------------

# The fake keeps closeorder's documented rule: an order younger than 5
# minutes is not closed (FAIL SYSTEMERROR, "call again"), and stays payable.
sub fake_close {
    my ($no) = @_;
    my $p = { appid => $OA, mch_id => $MCH, out_trade_no => $no,
        nonce_str => 'n' . int(rand(1e9)) };
    $p->{sign} = wx_sign($p);
    my $res = HTTP::Tiny->new(timeout => 10)->post(
        "http://127.0.0.1:$wx_port/pay/closeorder",
        { content => '<xml>' . join('', map { "<$_><![CDATA[$p->{$_}]]></$_>" }
              sort keys %$p) . '</xml>' });
    my %a = ($res->{content} // '') =~ m{<(\w+)><!\[CDATA\[(.*?)\]\]></\1>}g;
    return \%a;
}

# the jobs process's sweep, once (/healthz says when it ended), and what
# it asked WeChat
sub sweep {
    my $n = () = lines($wlog);
    my $t0 = time;

    select(undef, undef, undef, 0.05) while time == $t0;
    $t0 = time;
    kill('USR1', $t->jobs_pid);
    $t->wait_for(sub {
        my (undef, undef, $d) = $t->get('/healthz');
        return ref($d) eq 'HASH' && ($d->{jobs}{last_sweep} // 0) >= $t0;
    }) or diag('no sweep seen');
    my @w = lines($wlog);
    return @w[$n .. $#w];
}

{
    put($wctl, 'ok');
    my $x = order();
    ($st) = wx_pay($x, 0);
    is($st, 200, 'NATIVE at WeChat: 200');
    my $a = fake_close("$x->{out_trade_no}");
    is_deeply([ @$a{qw(return_code result_code err_code)} ],
        [ 'SUCCESS', 'FAIL', 'SYSTEMERROR' ],
        'the fake: a closeorder within 5 minutes is FAIL SYSTEMERROR');

    my $wn = () = lines($wlog);
    ($st, $h, $j) = ali_pay($x, 0);
    is($st, 200, 'then at Alipay within the 5 minutes: 200')
        or diag(explain($j));
    my @w = lines($wlog);
    is_deeply([ map { $_->{path} } @w[$wn .. $#w] ], [ '/pay/orderquery' ],
        '... WeChat asked whether it was paid, no closeorder');
    my $at = attempts($x->{id});
    is_deeply([ map { [ $_->{provider}, defined $_->{closed_at} ? 1 : 0,
        $_->{close_due} ] } @$at ],
        [ [ 200, 1, $at->[0]{created_at} + 330 ], [ 100, 0, undef ] ],
        '... stored: WeChat closed here, its close owed; Alipay open');
    ok(grep({ /WeChat attempt \Q$x->{out_trade_no}\E is unpaid and too young/ }
        $t->log_lines('featcgi-error.log')), '... and logged');

    # not due: the sweep asks nothing
    my @asked = sweep();
    is(scalar(grep { $_->{path} eq '/pay/closeorder' } @asked), 0,
        'the sweep before it is due: no closeorder');
    is(attempts($x->{id})->[0]{close_due}, $at->[0]{close_due},
        '... still owed');

    # due, the gateway down: asked again later
    age($x, 400);
    $t->dbh->do('UPDATE pay_attempt SET close_due = created_at + 330'
        . ' WHERE order_id = ?', undef, $x->{id});
    put($wctl, 'http500', 'clock 400');
    my $due = attempts($x->{id})->[0]{close_due};
    @asked = sweep();
    is_deeply([ map { $_->{path} } @asked ], [ '/pay/closeorder' ],
        'due, WeChat down: the sweep asks closeorder');
    cmp_ok(attempts($x->{id})->[0]{close_due}, '>', $due,
        '... and owes it later');

    # due, the gateway up: closed at WeChat for good
    $t->dbh->do('UPDATE pay_attempt SET close_due = ? WHERE id = ?', undef,
        $due, $at->[0]{id});
    put($wctl, 'ok', 'clock 400');
    @asked = sweep();
    is_deeply([ map { [ $_->{path}, $_->{params}{out_trade_no} ] } @asked ],
        [ [ '/pay/closeorder', $x->{out_trade_no} ] ],
        'due: the sweep closes it at WeChat');
    ok(!defined attempts($x->{id})->[0]{close_due}, '... nothing owed');
    is_deeply([ @{ fake_close($x->{out_trade_no}) }{qw(result_code
        err_code)} ], [ 'FAIL', 'ORDERCLOSED' ], '... the fake has it closed');
    is(row($x->{id})->{status}, 0, '... the order still UNPAID, payable'
        . ' at Alipay');
    @asked = sweep();
    is(scalar(@asked), 0, 'the next sweep asks nothing');
}

# both numbers paid within the 5 minutes, the WeChat notify lost: the owed
# close finds it, the order stays PAID once and the second payment is
# audited for a refund
{
    put($wctl, 'ok');
    my $x = order();
    ($st) = wx_pay($x, 0);
    ($st) = ali_pay($x, 0);
    is($st, 200, 'WeChat then Alipay within the 5 minutes: 200');
    my ($s, $body) = ali_notify($x, "$x->{out_trade_no}_2", '2026120722001T9');
    is($body, 'success', 'Alipay paid');
    is(row($x->{id})->{status}, 100, '... the order PAID');
    my $audits = $t->db_value('SELECT count(*) FROM audit WHERE action = ?',
        'pay.double_payment');

    age($x, 400);
    $t->dbh->do('UPDATE pay_attempt SET close_due = created_at + 330'
        . ' WHERE order_id = ? AND provider = 200', undef, $x->{id});
    put($wctl, 'ok', 'clock 400',
        "trade $x->{out_trade_no} SUCCESS $x->{amount_fen}"
        . ' 4200000000000000000077');
    my @asked = sweep();
    is_deeply([ map { $_->{path} } @asked ],
        [ '/pay/closeorder', '/pay/orderquery' ],
        'the owed close: ORDERPAID, then the orderquery');
    my $r = row($x->{id});
    is_deeply([ @$r{qw(status pay_method transaction_id)} ],
        [ 100, 100, '2026120722001T9' ], '... the order PAID once, by Alipay');
    is_deeply([ map { $_->{transaction_id} } @{ $t->db_rows('SELECT'
        . ' transaction_id FROM pay_transaction WHERE order_id = ?'
        . ' ORDER BY id', $x->{id}) } ],
        [ '2026120722001T9', '4200000000000000000077' ],
        '... both payments recorded');
    is($t->db_value('SELECT count(*) FROM audit WHERE action = ?',
        'pay.double_payment'), $audits + 1, '... one more pay.double_payment');
    my $d = decode_json($t->db_value('SELECT detail FROM audit'
        . ' WHERE action = ? ORDER BY id DESC LIMIT 1', 'pay.double_payment'));
    is_deeply([ @$d{qw(order_id transaction_id double_transaction_id)} ],
        [ $x->{id}, '2026120722001T9', '4200000000000000000077' ],
        '... naming both');
    ok(!defined attempts($x->{id})->[0]{close_due}, '... nothing owed');
    put($wctl, 'ok');
}

# ---- another user --------------------------------------------------------------

{
    my $x = order();
    ($st) = wx_pay($x, 0);
    my $before = snap($x->{id});
    my $wn = () = lines($wlog);
    ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
        pay_method => 100, end_type => 0 }, $B);
    is($st, 404, 'user B pays A\'s order: 404');
    ($st) = api('POST', $PAY, { order_id => $x->{id}, pay_method => 200,
        end_type => 200, extra_params => { open_id => 'oB' } }, $B);
    is($st, 404, '... at WeChat too');
    ($st) = api('GET', "/api/pay/order/$x->{id}/", undef, $B);
    is($st, 404, '... nor reads it');
    is(scalar(() = lines($wlog)), $wn, '... no gateway called');
    is(snap($x->{id}), $before, '... nothing changed');
}

# ---- the sweep --------------------------------------------------------------

{
    my $x = order();
    ($st) = wx_pay($x, 0);
    is($st, 200, 'an attempt');
    my $wn = () = lines($wlog);
    $t->dbh->do('UPDATE pay_order SET expires_at = ? WHERE id = ?', undef,
        time - 5, $x->{id});
    kill('USR1', $t->jobs_pid);
    ok($t->wait_for(sub { row($x->{id})->{status} == 200 }),
        'the order expired: the sweep stores it CLOSED');
    ok(defined attempts($x->{id})->[0]{closed_at},
        '... and its open attempt closed');
    is(scalar(() = lines($wlog)), $wn,
        '... without a gateway call (time_expire ends it there)');
}

$t->stop;
FeatFake::stop($_) for $ali_pid, $wx_pid;
done_testing;

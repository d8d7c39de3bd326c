#!/usr/bin/perl

# 10-pay-alipay.t: Alipay payments (issue 10) against t/fake/alipay.pl and
# the orderquery fallback of both providers (t/fake/weixin.pl too).
# POST /api/pay/order/pay/ with pay_method 100: the signed
# alipay.trade.app.pay order string (end_type 100) and the signed
# alipay.trade.wap.pay URL (300) taken apart field by field, their RSA2
# signatures verified here with openssl; the QR code of a real
# alipay.trade.precreate (0), reused while valid; 503 for an app without
# an Alipay app, 404 and 409 before the gateway, 502 for every way the
# gateway fails with nothing stored.  POST /api/pay/notify/alipay/: good,
# replayed, forged, unsigned, wrong amount, another app_id, another app's
# key, unknown order, not a form, concurrent duplicates.  GET of an
# UNPAID order whose pay was started asks alipay.trade.query or
# pay/orderquery at most once a minute and ends PAID as a notify would.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Encode qw(encode_utf8 decode_utf8);
use File::Temp qw(tempdir tempfile);
use FeatFake;
use FeatPay qw(put lines);
use FeatTest;
use HTTP::Tiny;
use JSON::PP qw(decode_json);
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX ();
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $AID = '2021000000000001';
my $AID2 = '2021000000000002';
my $MCH = '1486158932';
my $KEY = 'alipay-test-wx-key-0123456789abc';
my $OA = 'wx4444aa5566666777';
my $PAY = '/api/pay/order/pay/';
my $N = '/api/pay/notify/alipay/';

my $dir = tempdir('featcgi-pay-XXXXXX', TMPDIR => 1, CLEANUP => 1);
FeatPay::rsa_keys($dir, qw(app alipay app2 alipay2 forger));

my $f = FeatPay::fakes($dir, $AID, "$MCH=$KEY", $OA);
my ($alog, $actl, $wlog, $wctl) = @$f{qw(alog actl wlog wctl)};
my ($ali_pid, $ali_port, $wx_pid, $wx_port) =
    @$f{qw(ali_pid ali_port wx_pid wx_port)};
my $GW = "http://127.0.0.1:$ali_port/gateway.do";

my $t = FeatPay::featcgi();
my ($st, $h, $j, $rc, $out, $err);

sub ctl {
    my ($rc, $out, $err) = $t->featctl(@_);
    is($rc, 0, "featctl @_[0 .. 2]") or diag($err);
    # every worker rechecks the settings once the second it last checked
    # in is over
    select(undef, undef, undef, 1.1) if $_[1] eq 'set';
}

ctl('app', 'set', '', "alipay.app_id=$AID",
    "alipay.private_key=\@$dir/app.pem",
    "alipay.public_key=\@$dir/alipay.pub", "alipay.gateway=$GW",
    "weixin.mch_id=$MCH", "weixin.key=$KEY",
    "weixin.appid.official_account=$OA",
    "weixin.gateway=http://127.0.0.1:$wx_port",
    'accounts.default_scopes=read write pay_trade_order');
ctl('app', 'add', 'shop');
ctl('app', 'set', 'shop',
    'accounts.default_scopes=read write pay_trade_order');

sub ali_requests { return lines($alog) }
sub wx_requests { return lines($wlog) }

sub row { return $t->db_row('SELECT * FROM pay_order WHERE id = ?', $_[0]) }

sub snap {
    my ($id) = @_;
    return FeatTest::json()->canonical->encode([ row($id),
        $t->db_rows('SELECT * FROM pay_transaction ORDER BY id') ]);
}

my $phone = 0;
sub user {
    my (%o) = @_;
    my $p = sprintf('187%08d', ++$phone);
    my $d = $t->register_v2($p, 'secret-pw', %o);
    return { token => $d->{access_token}, app => $o{app} };
}

sub api {
    my ($method, $path, $body, $u) = @_;
    return $t->request($method, $path, $body, { -token => $u->{token},
        defined $u->{app} ? (-app => $u->{app}) : () });
}

my $A = user();
my $B = user();

($rc, $out, $err) = $t->featctl('--json', 'product', 'add', '--name',
    '会员月卡 A/B=1&2', '--price-fen', 1205);
is($rc, 0, 'a product') or diag($err);
my $product = decode_json($out)->{id};

sub order {
    my ($u, $pid) = @_;
    my ($s, undef, $d) = api('POST', '/api/pay/order/',
        { product_id => $pid // $product, quantity => 2 }, $u // $A);
    die "order: $s" if $s != 201;
    return $d->{data};
}

sub pay {
    my ($o, $end, $u) = @_;
    return api('POST', $PAY, { order_id => $o->{id}, pay_method => 100,
        end_type => $end }, $u // $A);
}

# RSA2: base64 SHA256withRSA, through the openssl command.
sub rsa_sign {
    my ($key, $text) = @_;
    my ($fh, $in) = tempfile(DIR => $dir);
    binmode $fh;
    print {$fh} $text;
    close $fh;
    my $sig = `openssl dgst -sha256 -sign '$key' '$in'`;
    unlink $in;
    return encode_base64($sig, '');
}

sub rsa_verify {
    my ($pub, $text, $b64) = @_;
    my ($fh, $in) = tempfile(DIR => $dir);
    my ($gh, $sf) = tempfile(DIR => $dir);
    binmode $_ for $fh, $gh;
    print {$fh} $text;
    print {$gh} decode_base64($b64 // '');
    close $_ for $fh, $gh;
    my $ok = system("openssl dgst -sha256 -verify '$pub' -signature '$sf'"
        . " '$in' >/dev/null 2>&1") == 0;
    unlink $in, $sf;
    return $ok ? 1 : 0;
}

sub url_decode {
    my ($s) = @_;
    $s =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
    return decode_utf8($s);
}

sub url_encode {
    my ($s) = @_;
    $s = encode_utf8($s);
    $s =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord($1))/ge;
    return $s;
}

# An encoded "k=v&..." as [ names in order ], { decoded values }.
sub form {
    my ($s) = @_;
    my (@names, %v);
    for (split /&/, $s) {
        my ($k, $v) = split /=/, $_, 2;
        push @names, $k;
        $v{$k} = url_decode($v);
    }
    return (\@names, \%v);
}

# The text Alipay signs: sorted, non-empty, but sign (and sign_type).
sub sign_text {
    my ($p, $notify) = @_;
    return encode_utf8(join('&', map { "$_=$p->{$_}" }
        grep { $_ ne 'sign' && !($notify && $_ eq 'sign_type')
            && $p->{$_} ne '' } sort keys %$p));
}

# Alipay's China-time "yyyy-MM-dd HH:mm:ss" of t.
sub cn_time {
    my @g = gmtime($_[0] + 8 * 3600);
    return sprintf('%04d-%02d-%02d %02d:%02d:%02d', $g[5] + 1900, $g[4] + 1,
        @g[3, 2, 1, 0]);
}

sub yuan { return sprintf('%d.%02d', int($_[0] / 100), $_[0] % 100) }

# ---- APP: the signed order string -------------------------------------------

my $o = order();
is($o->{amount_fen}, 2410, 'an order of 24.10 yuan');
{
    my $n = () = ali_requests();
    ($st, $h, $j) = pay($o, 100);
    is($st, 200, 'APP: 200') or diag(explain($j));
    is_deeply([ sort keys %$j ], [ 'data' ], '... under data');
    is_deeply([ keys %{ $j->{data} } ], [ 'order_string' ],
        '... data.order_string alone');
    my $s = $j->{data}{order_string};
    my $pair = qr/[A-Za-z0-9_]+=[A-Za-z0-9%\-._~]*/;
    like($s, qr/^$pair(&$pair)*$/, '... every value URL-encoded');
    my ($names, $p) = form($s);
    is_deeply([ sort @$names ], [ sort qw(app_id method charset sign_type
        timestamp version notify_url biz_content sign) ],
        '... the documented parameters, each once');
    is($names->[-1], 'sign', '... sign last');
    is_deeply([ @$names[0 .. $#$names - 1] ],
        [ sort @$names[0 .. $#$names - 1] ], '... the others sorted');
    is($p->{app_id}, $AID, '... app_id');
    is($p->{method}, 'alipay.trade.app.pay', '... method');
    is($p->{charset}, 'utf-8', '... charset');
    is($p->{sign_type}, 'RSA2', '... sign_type RSA2');
    is($p->{version}, '1.0', '... version 1.0');
    like($p->{timestamp}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
        '... timestamp yyyy-MM-dd HH:mm:ss');
    is(substr($p->{timestamp}, 0, 13), substr(cn_time(time), 0, 13),
        '... of now, China time');
    like($p->{notify_url}, qr{^http://[^/]+/api/pay/notify/alipay/$},
        '... notify_url: the public origin\'s Alipay notify');
    my $biz = decode_json(encode_utf8($p->{biz_content}));
    is_deeply([ sort keys %$biz ], [ sort qw(out_trade_no total_amount
        subject product_code time_expire) ], '... biz_content\'s fields');
    is($biz->{out_trade_no}, $o->{out_trade_no}, '... out_trade_no');
    is($biz->{total_amount}, '24.10', '... total_amount in yuan, 2 decimals');
    is($biz->{subject}, '会员月卡 A B 1 2 x2',
        '... subject: the order\'s, without / = &');
    is($biz->{product_code}, 'QUICK_MSECURITY_PAY', '... product_code');
    is($biz->{time_expire}, cn_time(row($o->{id})->{expires_at}),
        '... time_expire: expires_at, China time');
    is(rsa_verify("$dir/app.pub", sign_text($p), $p->{sign}), 1,
        '... signed RSA2 with the app\'s key (verified here)');
    is(scalar(() = ali_requests()), $n, '... without a gateway call');
    my $r = row($o->{id});
    is($r->{pay_method}, 100, 'stored: pay_method 100');
    is($r->{end_type}, 100, '... end_type 100');
    is($r->{alipay_app_id}, $AID, '... the Alipay app it was offered by');
    is($r->{status}, 0, '... still UNPAID');
    ($st, $h, $j) = pay($o, 100);
    my (undef, $p2) = form($j->{data}{order_string});
    is($st, 200, 'APP again: 200');
    is(rsa_verify("$dir/app.pub", sign_text($p2), $p2->{sign}), 1,
        '... a valid order string, signed afresh');
    is(scalar(() = ali_requests()), $n, '... still no gateway call');
}

# ---- NATIVE: alipay.trade.precreate -----------------------------------------

{
    my $x = order();
    ($st, $h, $j) = pay($x, 0);
    is($st, 200, 'NATIVE: 200') or diag(explain($j));
    is_deeply([ keys %{ $j->{data} } ], [ 'qr_code' ],
        '... data.qr_code alone');
    my $qr = 'https://qr.alipay.com/bax0' . unpack('H*', $x->{out_trade_no});
    is($j->{data}{qr_code}, $qr, '... the gateway\'s qr_code');
    my $q = (ali_requests())[-1];
    is($q->{sig_ok}, 1, 'the precreate is signed right (the fake checked)');
    is($q->{params_ok}, 1, '... with every parameter the docs require');
    is($q->{params}{method}, 'alipay.trade.precreate', '... method');
    is($q->{params}{app_id}, $AID, '... app_id');
    like($q->{params}{notify_url}, qr{/api/pay/notify/alipay/$},
        '... notify_url');
    is($q->{biz}{out_trade_no}, $x->{out_trade_no}, '... out_trade_no');
    is($q->{biz}{total_amount}, '24.10', '... total_amount');
    like($q->{biz}{timeout_express}, qr/^(11\d|120)m$/,
        '... timeout_express: the order\'s time left, in minutes');
    my $r = row($x->{id});
    is($r->{pay_url}, $qr, 'the QR stored');
    is($r->{pay_method}, 100, '... pay_method 100');
    is($r->{end_type}, 0, '... end_type 0');

    my $n = () = ali_requests();
    ($st, $h, $j) = pay($x, 0);
    is($j->{data}{qr_code}, $qr, 'NATIVE again: the same QR');
    is(scalar(() = ali_requests()), $n, '... without a second precreate');
    $t->dbh->do('UPDATE pay_attempt SET prepay_at = prepay_at - 7000'
        . ' WHERE order_id = ?', undef, $x->{id});
    ($st, $h, $j) = pay($x, 0);
    is($st, 200, 'a QR about to lapse: 200');
    is(scalar(() = ali_requests()), $n + 1, '... after a new precreate');
}

# ---- H5: the signed wap.pay URL ---------------------------------------------

{
    my $x = order();
    my $n = () = ali_requests();
    ($st, $h, $j) = pay($x, 300);
    is($st, 200, 'H5: 200') or diag(explain($j));
    is_deeply([ keys %{ $j->{data} } ], [ 'pay_url' ],
        '... data.pay_url alone');
    my ($gw, $qs) = $j->{data}{pay_url} =~ /^([^?]+)\?(.*)$/;
    is($gw, $GW, '... on the app\'s gateway');
    my ($names, $p) = form($qs);
    is_deeply([ sort @$names ], [ sort qw(app_id method charset sign_type
        timestamp version notify_url biz_content sign) ],
        '... the documented parameters');
    is($p->{method}, 'alipay.trade.wap.pay', '... method');
    my $biz = decode_json(encode_utf8($p->{biz_content}));
    is($biz->{product_code}, 'QUICK_WAP_WAY', '... product_code');
    is($biz->{total_amount}, '24.10', '... total_amount');
    is($biz->{out_trade_no}, $x->{out_trade_no}, '... out_trade_no');
    is($biz->{time_expire}, cn_time(row($x->{id})->{expires_at}),
        '... time_expire');
    is(rsa_verify("$dir/app.pub", sign_text($p), $p->{sign}), 1,
        '... signed RSA2 (verified here)');
    is(scalar(() = ali_requests()), $n, '... without a gateway call');

    # the payer's browser opens it at the gateway, which checks it
    my $res = HTTP::Tiny->new->get($j->{data}{pay_url});
    is($res->{content}, '<html><body>cashier</body></html>',
        'the gateway opens the URL: the cashier');
    my $q = (ali_requests())[-1];
    is($q->{sig_ok}, 1, '... its signature checked there');
    is($q->{params_ok}, 1, '... and its parameters');
    ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
        pay_method => 100, end_type => 300 }, $A);
    $res = HTTP::Tiny->new->get($j->{data}{pay_url} =~ s/sign=[^&]+/sign=AA/r);
    is($res->{content}, '<html><body>error</body></html>',
        '... which a tampered URL fails');
}

# ---- refused before the gateway ---------------------------------------------

{
    my $x = order();
    my $n = () = ali_requests();
    ($st, $h, $j) = pay($x, 0, $B);
    is($st, 404, "another user's order: 404");
    ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
        pay_method => 100, end_type => 200 }, $A);
    is($st, 400, 'Alipay end_type 200: 400');
    is($j->{code}, 'unsupported_pay_method', '... unsupported_pay_method');
    for my $c ([ 'status = 100', 'a PAID order' ],
        [ 'status = 200, closed_at = 1', 'a CLOSED order' ],
        [ 'expires_at = 1', 'an expired order' ])
    {
        my $y = order();
        $t->dbh->do("UPDATE pay_order SET $c->[0] WHERE id = ?", undef,
            $y->{id});
        for my $end (0, 100, 300) {
            ($st, $h, $j) = pay($y, $end);
            is($st, 409, "$c->[1], end_type $end: 409");
            is($j->{code}, 'invalid_transition', '... invalid_transition');
        }
        is(row($y->{id})->{pay_method}, undef, '... nothing stored');
    }

    ($rc, $out) = $t->featctl('--json', 'product', 'add', '--app', 'shop',
        '--name', 'S', '--price-fen', 5);
    my $sp = decode_json($out)->{id};
    my $S = user(app => 'shop', headers => { -app => 'shop' });
    my $so = order($S, $sp);
    for my $end (0, 100, 300) {
        ($st, $h, $j) = pay($so, $end, $S);
        is($st, 503, "an app without an Alipay app, end_type $end: 503");
        is($j->{code}, 'payment_unavailable', '... payment_unavailable');
    }
    is(row($so->{id})->{pay_method}, undef, '... nothing stored');
    is(scalar(() = ali_requests()), $n, 'none of these called the gateway');
}

# ---- the gateway failing ----------------------------------------------------

{
    for my $m (qw(fail badsign unsigned othertrade noqr http500 garbage
        timeout))
    {
        put($actl, $m);
        my $x = order();
        my $before = row($x->{id});
        my $n = () = ali_requests();
        ($st, $h, $j) = pay($x, 0);
        is($st, 502, "gateway $m: 502");
        is($j->{code}, 'payment_gateway_error', '... payment_gateway_error');
        is(scalar(() = ali_requests()), $n + 1, '... after one call');
        is_deeply(row($x->{id}), $before, '... nothing stored');
    }
    put($actl, 'ok');
    my @log = $t->log_lines('featcgi-error.log');
    ok((grep { /alipay\.trade\.precreate/ && /signature is wrong/ } @log),
        'the bad signature is logged');
    ok((grep { /precreate of order/ && /\b[0-9a-f]{32}\b/ } @log),
        '... the failure with the request id');
}

# ---- the notify -------------------------------------------------------------

# A notify of order o as Alipay sends it; %x overrides, -key signs.
sub notify_form {
    my ($o, %x) = @_;
    my $key = delete $x{-key} // "$dir/alipay.pem";
    my $p = { notify_time => cn_time(time), notify_type => 'trade_status_sync',
        notify_id => 'ac05099524730693a8b330c5ecf72da9' . int(rand(1e6)),
        app_id => $AID, charset => 'utf-8', version => '1.0',
        sign_type => 'RSA2', trade_no => '2026120722001' . $o->{id} . '0001',
        out_trade_no => $o->{out_trade_no}, buyer_id => '2088102122524333',
        seller_id => '2088101106499364', trade_status => 'TRADE_SUCCESS',
        total_amount => yuan($o->{amount_fen}),
        receipt_amount => yuan($o->{amount_fen}),
        buyer_pay_amount => yuan($o->{amount_fen}),
        subject => '会员月卡 x2',
        gmt_create => cn_time(time - 60), gmt_payment => cn_time(time), %x };
    $p->{sign} = rsa_sign($key, sign_text($p, 1)) unless exists $x{sign};
    return join('&', map { "$_=" . url_encode($p->{$_}) } sort keys %$p);
}

sub notify {
    my ($body) = @_;
    my ($s, $hd, $text) = $t->request('POST', $N, $body,
        { 'Content-Type' => 'application/x-www-form-urlencoded' });
    return ($s, $text // '', $hd);
}

{
    my $x = order();
    my $body = notify_form($x);
    my ($s, $text, $hd) = notify($body);
    is($s, 200, 'a good notify: 200');
    is($text, 'success', '... Alipay\'s "success"');
    like($hd->{'content-type'}, qr{^text/plain}, '... as text/plain');
    my $r = row($x->{id});
    is($r->{status}, 100, '... the order PAID');
    ok($r->{paid_at} && abs($r->{paid_at} - time) < 3600, '... paid_at now');
    is($r->{transaction_id}, "2026120722001$x->{id}0001",
        '... the transaction id: trade_no');
    is($r->{notify}, $body, '... the raw notify kept');
    my $tx = $t->db_rows('SELECT * FROM pay_transaction WHERE order_id = ?',
        $x->{id});
    is(scalar @$tx, 1, '... one transaction row');
    is($tx->[0]{provider}, 100, '... of Alipay');
    is($tx->[0]{amount_fen}, 2410, '... of the amount');
    ($st, $h, $j) = api('GET', "/api/pay/order/$x->{id}/", undef, $A);
    is($j->{data}{status}, 100, 'the order reads PAID');
    is($j->{data}{status_display}, '已支付', '... 已支付');
    is($j->{data}{pay_method}, 100, '... pay_method 100');

    my $before = snap($x->{id});
    ($s, $text) = notify($body);
    is($text, 'success', 'the replay: success');
    is(snap($x->{id}), $before, '... changing nothing');
    ($s, $text) = notify(notify_form($x, trade_status => 'TRADE_FINISHED'));
    is($text, 'success', 'TRADE_FINISHED of the same trade: success');
    is(snap($x->{id}), $before, '... changing nothing');
}

{
    my $x = order();
    my $before = snap($x->{id});
    for my $c ([ notify_form($x, -key => "$dir/forger.pem"),
            'a forged signature' ],
        [ notify_form($x, sign => ''), 'no signature' ],
        [ notify_form($x) =~ s/&sign=[^&]*//r, 'no sign parameter' ],
        [ notify_form($x, sign_type => 'RSA'), 'sign_type RSA' ],
        [ notify_form($x, total_amount => '24.11'), 'a wrong amount' ],
        [ notify_form($x, total_amount => '2410'), 'the amount in fen' ],
        [ notify_form($x, total_amount => '24.100'), 'three decimals' ],
        [ notify_form($x, app_id => $AID2), 'another app_id' ],
        [ notify_form($x, app_id => $AID2, -key => "$dir/alipay2.pem"),
          "signed by another app's Alipay key" ],
        [ notify_form($x, out_trade_no => 'nosuchorder'), 'an unknown order' ],
        [ notify_form($x, trade_no => ''), 'no trade_no' ],
        [ notify_form($x) . '&out_trade_no=nosuchorder', 'a name twice' ],
        [ notify_form($x) =~ s/total_amount=[^&]*/total_amount=24.10%00/r,
          'a NUL' ],
        [ '<xml><out_trade_no>1</out_trade_no></xml>', 'not a form' ],
        [ '', 'an empty body' ])
    {
        my ($s, $text) = notify($c->[0]);
        is($text, 'failure', "$c->[1]: \"failure\"");
        is(snap($x->{id}), $before, '... nothing changed');
    }
    ok((grep { /Alipay notify refused: bad signature/ }
        $t->log_lines('featcgi-error.log')), 'a forged notify is logged');

    my ($s, $text) = notify(notify_form($x, trade_status => 'WAIT_BUYER_PAY'));
    is($text, 'success', 'WAIT_BUYER_PAY: acknowledged');
    is(snap($x->{id}), $before, '... nothing changed');
    ($s, $text) = notify(notify_form($x, trade_status => 'TRADE_CLOSED'));
    is($text, 'success', 'TRADE_CLOSED: acknowledged');
    is(row($x->{id})->{status}, 0, '... the order still UNPAID');

    # another app's order, notified with this app's Alipay: refused; with
    # its own (shop's, set now): PAID
    ctl('app', 'set', 'shop', "alipay.app_id=$AID2",
        "alipay.private_key=\@$dir/app2.pem",
        "alipay.public_key=\@$dir/alipay2.pub", "alipay.gateway=$GW");
    ($rc, $out) = $t->featctl('--json', 'product', 'add', '--app', 'shop',
        '--name', 'T', '--price-fen', 300);
    my $tp = decode_json($out)->{id};
    my $S = user(app => 'shop', headers => { -app => 'shop' });
    my $so = order($S, $tp);
    ($st, $h, $j) = pay($so, 100, $S);
    is($st, 200, "another app's order: paid through its own Alipay app")
        or diag(explain($j));
    my (undef, $sp) = form($j->{data}{order_string} // '');
    is($sp->{app_id}, $AID2, '... its app_id');
    is(rsa_verify("$dir/app2.pub", sign_text($sp), $sp->{sign}), 1,
        '... signed with its own key');
    is(rsa_verify("$dir/app.pub", sign_text($sp), $sp->{sign}), 0,
        "... not the default app's");
    is(row($so->{id})->{alipay_app_id}, $AID2, '... stored');
    my $sb = snap($so->{id});
    ($s, $text) = notify(notify_form($so));
    is($text, 'failure', "another app's order under this app's Alipay app:"
        . ' failure');
    is(snap($so->{id}), $sb, '... nothing changed');
    ($s, $text) = notify(notify_form($so, app_id => $AID2));
    is($text, 'failure', "... nor signed with this app's Alipay key");
    ($s, $text) = notify(notify_form($so, app_id => $AID2,
        -key => "$dir/alipay2.pem"));
    is($text, 'success', "... signed by its own app's Alipay: success");
    is(row($so->{id})->{status}, 100, '... PAID');
}

# ---- concurrent duplicate notifies ------------------------------------------

{
    my $x = order();
    my $body = notify_form($x);
    my @kids;
    for (1 .. 8) {
        my $pid = fork();
        die "fork: $!" if !defined $pid;
        if ($pid == 0) {
            my ($s, $text) = notify($body);
            POSIX::_exit($text eq 'success' ? 0 : 1);
        }
        push @kids, $pid;
    }
    my $ok = 0;
    for (@kids) { waitpid($_, 0); $ok++ if $? == 0 }
    is($ok, 8, 'eight racing duplicates: each success');
    is(row($x->{id})->{status}, 100, '... the order PAID');
    is($t->db_value('SELECT count(*) FROM pay_transaction WHERE order_id = ?',
        $x->{id}), 1, '... one transaction row');
}

# ---- expiry -----------------------------------------------------------------

{
    my $x = order();
    ($st, $h, $j) = pay($x, 0);
    $t->dbh->do('UPDATE pay_order SET expires_at = ? WHERE id = ?', undef,
        time - 10, $x->{id});
    my $n = () = ali_requests();
    ($st, $h, $j) = api('GET', "/api/pay/order/$x->{id}/", undef, $A);
    is($j->{data}{status}, 200, 'an expired order reads CLOSED');
    is($j->{data}{status_display}, '已关闭', '... 已关闭');
    is(scalar(() = ali_requests()), $n, '... and is not queried');
    my ($s, $text) = notify(notify_form($x));
    is($text, 'success', 'a payment of it notified late: success');
    is(row($x->{id})->{status}, 100, '... money taken is PAID');
}

# ---- the orderquery fallback: Alipay ----------------------------------------

sub get_order {
    my ($x) = @_;
    my ($s, undef, $d) = api('GET', "/api/pay/order/$x->{id}/", undef, $A);
    return $d->{data};
}

sub queries {
    my ($what) = @_;
    return $what eq 'alipay'
        ? scalar(grep { $_->{params}{method} eq 'alipay.trade.query' }
            ali_requests())
        : scalar(grep { ($_->{path} // '') eq '/pay/orderquery' }
            wx_requests());
}

sub age { $t->dbh->do('UPDATE pay_order SET queried_at = queried_at - 61'
    . ' WHERE id = ?', undef, $_[0]) }

{
    my $never = order();
    my $n = queries('alipay');
    is(get_order($never)->{status}, 0, 'an order never offered: UNPAID');
    is(queries('alipay'), $n, '... not queried');

    my $x = order();
    ($st, $h, $j) = pay($x, 0);
    is($st, 200, 'a QR offered');
    is(get_order($x)->{status}, 0, 'not paid yet: UNPAID');
    is(queries('alipay'), $n + 1, '... after one alipay.trade.query');
    my $q = (grep { $_->{params}{method} eq 'alipay.trade.query' }
        ali_requests())[-1];
    is($q->{sig_ok}, 1, '... signed right');
    is($q->{params_ok}, 1, '... with the documented parameters');
    is($q->{biz}{out_trade_no}, $x->{out_trade_no}, '... of the order');
    ok(row($x->{id})->{queried_at}, '... its time stored');
    is(get_order($x)->{status}, 0, 'read again at once: UNPAID');
    ($st, $h, $j) = api('GET', '/api/pay/order/', undef, $A);
    is(queries('alipay'), $n + 1, '... not asked again within the minute,'
        . ' nor by the list');

    age($x->{id});
    my $b4 = queries('alipay');
    my @kids;
    for (1 .. 6) {
        my $pid = fork();
        die "fork: $!" if !defined $pid;
        if ($pid == 0) {
            my $d = get_order($x);
            POSIX::_exit(($d->{status} // -1) == 0 ? 0 : 1);
        }
        push @kids, $pid;
    }
    my $ok = 0;
    for (@kids) { waitpid($_, 0); $ok++ if $? == 0 }
    is($ok, 6, 'six racing readers a minute later: each UNPAID');
    is(queries('alipay'), $b4 + 1, '... after one query between them');

    put($actl, 'ok', "trade $x->{out_trade_no} TRADE_SUCCESS 24.11 T1");
    age($x->{id});
    is(get_order($x)->{status}, 0, 'a query answering another amount:'
        . ' UNPAID');
    ok((grep { /trade\.query of order $x->{id}: paid 24\.11/ }
        $t->log_lines('featcgi-error.log')), '... logged');

    put($actl, 'badsign', "trade $x->{out_trade_no} TRADE_SUCCESS 24.10 T2");
    age($x->{id});
    is(get_order($x)->{status}, 0, 'a badly signed query answer: UNPAID');

    put($actl, 'ok', "trade $x->{out_trade_no} WAIT_BUYER_PAY 24.10 T3");
    age($x->{id});
    is(get_order($x)->{status}, 0, 'WAIT_BUYER_PAY: UNPAID');

    put($actl, 'ok', "trade $x->{out_trade_no} TRADE_SUCCESS 24.10 T4");
    my $before = queries('alipay');
    age($x->{id});
    my $d = get_order($x);
    is(queries('alipay'), $before + 1, 'paid, the notify lost: one query');
    is($d->{status}, 100, '... the order reads PAID');
    ok($d->{paid_at}, '... with paid_at');
    my $r = row($x->{id});
    is($r->{transaction_id}, 'T4', '... the transaction id: trade_no');
    like($r->{notify}, qr/"trade_no": "T4"/, '... the signed answer kept');
    is($t->db_value('SELECT count(*) FROM pay_transaction WHERE order_id = ?'
        . ' AND provider = 100', $x->{id}), 1, '... one transaction row');
    my ($s, $text) = notify(notify_form($x, trade_no => 'T4'));
    is($text, 'success', 'the notify arriving after: success');
    is($t->db_value('SELECT count(*) FROM pay_transaction WHERE order_id = ?',
        $x->{id}), 1, '... still one transaction row');
    age($x->{id});
    $before = queries('alipay');
    get_order($x);
    is(queries('alipay'), $before, 'a PAID order is never queried');
    put($actl, 'ok');
}

# ---- the orderquery fallback: WeChat ----------------------------------------

{
    my $x = order();
    ($st, $h, $j) = api('POST', $PAY, { order_id => $x->{id},
        pay_method => 200, end_type => 0 }, $A);
    is($st, 200, 'a WeChat QR offered') or diag(explain($j));
    is(row($x->{id})->{wx_appid}, $OA, '... its appid stored');
    my $n = queries('weixin');
    is(get_order($x)->{status}, 0, 'not paid yet: UNPAID');
    is(queries('weixin'), $n + 1, '... after one pay/orderquery');
    my $q = (grep { ($_->{path} // '') eq '/pay/orderquery' }
        wx_requests())[-1];
    is($q->{sig_ok}, 1, '... signed right');
    is($q->{params_ok}, 1, '... with the documented fields');
    is($q->{params}{appid}, $OA, '... appid');
    is($q->{params}{mch_id}, $MCH, '... mch_id');
    is($q->{params}{out_trade_no}, $x->{out_trade_no}, '... out_trade_no');
    is(get_order($x)->{status}, 0, 'read again at once: UNPAID');
    is(queries('weixin'), $n + 1, '... not asked again within the minute');

    put($wctl, 'ok', "trade $x->{out_trade_no} NOTPAY 2410 -");
    age($x->{id});
    is(get_order($x)->{status}, 0, 'NOTPAY: UNPAID');
    put($wctl, 'ok', "trade $x->{out_trade_no} SUCCESS 2409 4200000001");
    age($x->{id});
    is(get_order($x)->{status}, 0, 'paid another amount: UNPAID');
    put($wctl, 'badsign', "trade $x->{out_trade_no} SUCCESS 2410 4200000002");
    age($x->{id});
    is(get_order($x)->{status}, 0, 'a badly signed answer: UNPAID');

    put($wctl, 'ok', "trade $x->{out_trade_no} SUCCESS 2410 4200000003");
    age($x->{id});
    my $d = get_order($x);
    is($d->{status}, 100, 'paid, the notify lost: the order reads PAID');
    my $r = row($x->{id});
    is($r->{transaction_id}, '4200000003', '... the transaction id');
    like($r->{notify}, qr{<trade_state><!\[CDATA\[SUCCESS\]\]>},
        '... the signed answer kept');
    is($t->db_value('SELECT provider FROM pay_transaction WHERE order_id = ?',
        $x->{id}), 200, '... one WeChat transaction row');

    # offered at WeChat, then at Alipay: the WeChat attempt was closed at
    # its gateway, so only the open Alipay attempt (its own number) is
    # asked
    my $y = order();
    api('POST', $PAY, { order_id => $y->{id}, pay_method => 200,
        end_type => 0 }, $A);
    pay($y, 100);
    my $no2 = $t->db_value('SELECT out_trade_no FROM pay_attempt'
        . ' WHERE order_id = ? AND closed_at IS NULL', $y->{id});
    is($no2, "$y->{out_trade_no}_2", 'WeChat then Alipay: a new number');
    put($wctl, 'ok');
    put($actl, 'ok', "trade $no2 TRADE_SUCCESS 24.10 T9");
    age($y->{id});
    $t->dbh->do('UPDATE pay_order SET queried_at = 1 WHERE id = ?', undef,
        $y->{id});
    my ($wn, $an) = (queries('weixin'), queries('alipay'));
    is(get_order($y)->{status}, 100, '... paid by Alipay: PAID');
    is(queries('weixin'), $wn, '... the closed WeChat attempt not asked');
    is(queries('alipay'), $an + 1, '... Alipay asked');
    put($actl, 'ok');
}

$t->stop;
FeatFake::stop($_) for $ali_pid, $wx_pid;
done_testing;

#!/usr/bin/perl

# 10-pay-feat.t: payments, step one (issue 10): featctl product add, list,
# edit and rm; GET /api/pay/product/; orders for a product or for a
# COMPLETED service project of the caller's (the amount always the
# server's), their list and reads, another user's and another app's,
# out_trade_no's form, the pay.order_ttl setting, and expiry both before
# and after the jobs process stores it.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $t = FeatTest->new('jobs.interval' => 86400,
    'code.ip_hourly_limit' => 1000, 'code.hourly_limit' => 1000,
    'code.daily_limit' => 1000);
my ($st, $h, $j, $rc, $out, $err);
my $O = '/api/pay/order/';

sub iso {
    my ($tt) = @_;
    my @g = gmtime($tt + 8 * 3600);
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d+08:00', $g[5] + 1900,
        $g[4] + 1, @g[3, 2, 1, 0]);
}

my $phone = 0;
sub user {
    my (%o) = @_;
    my $p = sprintf('187%08d', ++$phone);
    my $d = $t->register_v2($p, 'secret-pw', %o);
    my $uid = $t->db_value(
        'SELECT id FROM users WHERE phone = ? AND app_id = ?',
        $p, $o{app} // '');
    return { token => $d->{access_token}, uid => $uid, app => $o{app} // '' };
}

sub api {
    my ($method, $path, $body, $u, %hd) = @_;
    return $t->request($method, $path, $body,
        { %hd, -token => $u->{token} });
}

sub ctl_json {
    my (@args) = @_;
    my ($rc, $out, $err) = $t->featctl('--json', @args);
    return ($rc, $rc == 0 ? FeatTest::json()->decode($out) : undef, $err);
}

sub order_row {
    return $t->db_row('SELECT * FROM pay_order WHERE id = ?', $_[0]);
}

my $A = user();
my $B = user();

# ---- featctl product -------------------------------------------------------

my ($p1, $p2, $p3);
{
    my $d;
    ($rc, $d, $err) = ctl_json('product', 'add', '--name', '会员月卡',
        '--price-fen', 1500, '--description', 'thirty days');
    is($rc, 0, 'product add: exit 0') or diag($err);
    is($d->{name}, '会员月卡', '... the name');
    is($d->{price_fen}, 1500, '... the price');
    ok($d->{active}, '... active');
    $p1 = $d->{id};
    ($rc, $d) = ctl_json('product', 'add', '--name', 'Year',
        '--price-fen', 9900);
    $p2 = $d->{id};
    ($rc, $d) = ctl_json('product', 'add', '--name', 'Gone', '--price-fen', 1);
    $p3 = $d->{id};

    ($rc, $out, $err) = $t->featctl('product', 'add', '--name', 'X');
    is($rc, 1, 'product add without --price-fen: exit 1');
    ($rc, $out, $err) = $t->featctl('product', 'add', '--name', 'X',
        '--price-fen', 0);
    is($rc, 1, 'product add --price-fen 0: exit 1');
    like($err, qr/--price-fen/, '... says which option');
    ($rc, $out, $err) = $t->featctl('product', 'add', '--price-fen', 5);
    is($rc, 1, 'product add without --name: exit 1');
    ($rc, $out, $err) = $t->featctl('product', 'add', '--name', 'x' x 101,
        '--price-fen', 5);
    is($rc, 1, 'a name of 101 characters: exit 1');
    is($t->db_value('SELECT count(*) FROM pay_product'), 3,
        '... nothing stored by the refused adds');

    ($rc, $d) = ctl_json('product', 'edit', $p2, '--price-fen', 9800);
    is($rc, 0, 'product edit: exit 0');
    is($d->{price_fen}, 9800, '... the new price');
    is($d->{name}, 'Year', '... the name kept');
    is($t->db_value('SELECT price_fen FROM pay_product WHERE id = ?', $p2),
        9800, '... stored');
    ($rc, $out, $err) = $t->featctl('product', 'edit', 999999, '--name', 'Z');
    is($rc, 1, 'product edit of no product: exit 1');

    ($rc, $out, $err) = $t->featctl('product', 'rm', $p3);
    is($rc, 0, 'product rm: exit 0');
    is($t->db_value('SELECT active FROM pay_product WHERE id = ?', $p3), 0,
        '... stored inactive, the row kept');
    ($rc, $out, $err) = $t->featctl('product', 'rm', $p3);
    is($rc, 1, '... a second rm: exit 1');

    ($rc, $d) = ctl_json('product', 'list');
    is($rc, 0, 'product list --json: exit 0');
    is_deeply([ map { $_->{id} } @$d ], [ $p3, $p2, $p1 ],
        '... every product, removed too, newest first');
    ($rc, $out) = $t->featctl('product', 'list');
    like($out, qr/^ID\s+NAME\s+PRICE_FEN/m, 'product list: a table');
}

# ---- GET /api/pay/product/ --------------------------------------------------

{
    ($st, $h, $j) = api('GET', '/api/pay/product/', undef, $A);
    is($st, 200, 'GET products: 200');
    is($j->{data}{count}, 2, '... the active ones only');
    is_deeply($j->{data}{results}[1], { id => $p1, name => '会员月卡',
        description => 'thirty days', price_fen => 1500 },
        '... a product field by field');
    ($st, $h, $j) = api('GET', '/api/pay/product/?page_size=1', undef, $A);
    is(scalar @{ $j->{data}{results} }, 1, '... paged');
    ok($j->{data}{next}, '... with a next page');
    ($st) = $t->get('/api/pay/product/');
    is($st, 401, 'without a token: 401');
}

# ---- orders for a product ---------------------------------------------------

my $o1;
{
    my $t0 = time;
    ($st, $h, $j) = api('POST', $O, { product_id => $p1, quantity => 3,
        amount_fen => 1, amount => 1, total_fee => 1 }, $A);
    is($st, 201, 'POST order: 201');
    my $d = $j->{data};
    $o1 = $d->{id};
    is($d->{amount_fen}, 4500, '... the price times the quantity, not the '
        . "client's amount");
    is($d->{subject}, '会员月卡 x3', '... the subject');
    is($d->{status}, 0, '... UNPAID');
    is($d->{status_display}, '待支付', '... 待支付');
    is($d->{pay_method}, undef, '... no pay method yet');
    is($d->{paid_at}, undef, '... paid_at null');
    like($d->{out_trade_no}, qr/^[0-9A-Za-z_]{1,32}$/,
        '... out_trade_no: at most 32 of [0-9A-Za-z_]');
    is_deeply([ sort keys %$d ], [ sort qw(id out_trade_no subject amount_fen
        status status_display pay_method created_at paid_at expires_at) ],
        '... exactly the issue\'s fields');
    my $r = order_row($o1);
    is($r->{amount_fen}, 4500, '... stored amount');
    is($r->{user_id}, $A->{uid}, '... stored for the caller');
    is($r->{expires_at} - $r->{created_at}, 7200,
        '... payable for pay.order_ttl, 7200 by default');
    is($d->{expires_at}, iso($r->{expires_at}), '... expires_at answered');
    is($d->{created_at}, iso($r->{created_at}), '... created_at answered');

    ($st, $h, $j) = api('POST', $O, { product_id => $p2 }, $A);
    is($st, 201, 'quantity defaults to 1');
    is($j->{data}{amount_fen}, 9800, '... the edited price');
    is($j->{data}{subject}, 'Year', '... the subject is the name');
    isnt($j->{data}{out_trade_no}, order_row($o1)->{out_trade_no},
        '... another out_trade_no');

    my $n = $t->db_value('SELECT count(*) FROM pay_order');
    for my $c ([ { product_id => $p3 }, 'product_id', 'a removed product' ],
        [ { product_id => 999999 }, 'product_id', 'no such product' ],
        [ { product_id => $p1, quantity => 0 }, 'quantity', 'quantity 0' ],
        [ { product_id => $p1, quantity => 100 }, 'quantity',
          'quantity 100' ],
        [ { product_id => 'x' }, 'product_id', 'a string id' ],
        [ {}, 'product_id', 'neither product nor project' ],
        [ { product_id => $p1, project_id => 1 }, 'project_id', 'both' ])
    {
        ($st, $h, $j) = api('POST', $O, $c->[0], $A);
        is($st, 400, "$c->[2]: 400");
        ok($j->{errors}{ $c->[1] }, "... errors.$c->[1]");
    }
    is($t->db_value('SELECT count(*) FROM pay_order'), $n,
        '... no order stored by any');
}

# ---- reads: mine, another user's, another app's -----------------------------

{
    ($st, $h, $j) = api('GET', "$O$o1/", undef, $A);
    is($st, 200, 'GET my order: 200');
    is($j->{data}{amount_fen}, 4500, '... mine');
    ($st, $h, $j) = api('GET', "$O$o1/", undef, $B);
    is($st, 404, "another user's order: 404");
    ($st, $h, $j) = api('GET', $O, undef, $A);
    is($st, 200, 'GET my orders: 200');
    is($j->{data}{count}, 2, '... both');
    is($j->{data}{results}[1]{id}, $o1, '... newest first');
    ($st, $h, $j) = api('GET', $O, undef, $B);
    is($j->{data}{count}, 0, "... another user's list: none of mine");

    ($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
    is($rc, 0, 'a second app') or diag($err);
    my $S = user(app => 'shop', headers => { -app => 'shop' });
    ($st, $h, $j) = api('GET', "$O$o1/", undef, $S, -app => 'shop');
    is($st, 404, "another app's user: 404");
    ($st, $h, $j) = api('GET', '/api/pay/product/', undef, $S,
        -app => 'shop');
    is($j->{data}{count}, 0, "... sees none of the default app's products");
    ($st, $h, $j) = api('POST', $O, { product_id => $p1 }, $S,
        -app => 'shop');
    is($st, 400, "... and cannot order one: 400");
}

# ---- orders for a service project --------------------------------------------

my $P = '/api/service/project/';
sub project {
    my ($state, $owner, $bidder) = @_;
    my ($s, undef, $d) = api('POST', $P, { title => '设计 logo',
        description => 'd', budget_fen => 90000,
        close_at => iso(time + 86400) }, $owner);
    die "create: $s" if $s != 201;
    my $id = $d->{data}{id};
    ($s) = api('POST', "$P$id/publish/", undef, $owner);
    ($s, undef, $d) = api('POST', "$P$id/bids/", { price_fen => 76543 },
        $bidder);
    my $bid = $d->{data}{id};
    return $id if $state eq 'OPEN';
    ($s) = api('POST', "$P$id/close/", undef, $owner);
    return $id if $state eq 'CLOSED';
    ($s) = api('POST', "$P$id/select-winner/", { bid_id => $bid }, $owner);
    die "select-winner: $s" if $s != 200;
    return $id;
}

{
    my $done = project('COMPLETED', $A, $B);
    ($st, $h, $j) = api('POST', $O, { project_id => $done,
        amount_fen => 1 }, $A);
    is($st, 201, 'order for my COMPLETED project: 201');
    is($j->{data}{amount_fen}, 76543, "... the winning bid's price");
    is($j->{data}{subject}, '设计 logo', '... the title as subject');
    my $po = $j->{data}{id};
    is(order_row($po)->{project_id}, $done, '... stored with the project');

    ($st, $h, $j) = api('POST', $O, { project_id => $done }, $A);
    is($st, 409, 'a second order while the first is payable: 409');
    is($j->{code}, 'invalid_transition', '... invalid_transition');

    ($st, $h, $j) = api('POST', $O, { project_id => $done }, $B);
    is($st, 400, "the bidder ordering the owner's project: 400");
    ok($j->{errors}{project_id}, '... errors.project_id');
    my $closed = project('CLOSED', $A, $B);
    ($st, $h, $j) = api('POST', $O, { project_id => $closed }, $A);
    is($st, 400, 'a CLOSED project (no winner yet): 400');
    ($st, $h, $j) = api('POST', $O, { project_id => $done, quantity => 2 },
        $A);
    is($st, 400, 'a quantity with a project: 400');

    # once that order expires, a new one may be made
    $t->dbh->do('UPDATE pay_order SET expires_at = ? WHERE id = ?', undef,
        time - 1, $po);
    ($st, $h, $j) = api('POST', $O, { project_id => $done }, $A);
    is($st, 201, 'after the first order expired: a new order, 201');
    is(order_row($po)->{status}, 200, '... the expired one stored CLOSED');
}

# ---- pay.order_ttl and expiry ---------------------------------------------

{
    ($rc, $out, $err) = $t->featctl('app', 'set', '', 'pay.order_ttl=600');
    is($rc, 0, 'app set pay.order_ttl=600') or diag($err);
    ($rc, $out, $err) = $t->featctl('app', 'set', '', 'pay.order_ttl=5');
    is($rc, 1, '... 5 seconds is refused');
    my $id;
    ok($t->wait_for(sub {
        my ($s, undef, $d) = api('POST', $O, { product_id => $p1 }, $A);
        $id = $d->{data}{id};
        my $r = order_row($id);
        return $r->{expires_at} - $r->{created_at} == 600;
    }), 'a new order is payable for 600 seconds');

    my $gone = time - 5;
    $t->dbh->do('UPDATE pay_order SET expires_at = ? WHERE id = ?', undef,
        $gone, $id);
    ($st, $h, $j) = api('GET', "$O$id/", undef, $A);
    is($j->{data}{status}, 200, 'past expires_at, before the sweep: CLOSED');
    is($j->{data}{status_display}, '已关闭', '... 已关闭');
    is(order_row($id)->{status}, 0, '... while the row still says UNPAID');
    ($st, $h, $j) = api('GET', $O, undef, $A);
    my ($l) = grep { $_->{id} == $id } @{ $j->{data}{results} };
    is($l->{status}, 200, '... CLOSED in the list too');

    my $jobs = $t->jobs_pid;
    ok($jobs, 'the jobs process is found');
    kill('USR1', $jobs);
    ok($t->wait_for(sub { order_row($id)->{status} == 200 }),
        'after the sweep: stored CLOSED');
    is(order_row($id)->{closed_at}, $gone, '... closed_at = expires_at');
    is(order_row($o1)->{status}, 0, '... an unexpired order untouched');
}

$t->stop;
done_testing;

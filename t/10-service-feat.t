#!/usr/bin/perl

# 10-service-feat.t: the service-demand marketplace (issue 9, API.md
# "Service projects", seeds/002 "Service: Status") through nginx: create
# and its field checks, every legal and illegal transition from every
# state (REVIEW under the app's service.review setting, with featctl's
# approve and reject), bids in every state, revision and withdrawal, the
# actions of owner, bidder and stranger in every state, time closing a
# project both before and after the jobs process stores it (and with the
# test clock shifted), the opportunity square's visibility, search and
# paging,
# another user's DRAFT and another app, the pushes events queue, and
# racing transitions from parallel clients.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use POSIX ();
use FeatTest;
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my %conf = ('jobs.interval' => 86400, 'code.ip_hourly_limit' => 1000,
    'code.hourly_limit' => 1000, 'code.daily_limit' => 1000);
my $t = FeatTest->new(%conf);
my ($st, $h, $j, $rc, $out, $err);
my $P = '/api/service/project/';

# A feat time of t (seconds) in the test config's zone (Asia/Shanghai).
sub iso {
    my ($tt) = @_;
    my @g = gmtime($tt + 8 * 3600);

    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d+08:00', $g[5] + 1900,
        $g[4] + 1, @g[3, 2, 1, 0]);
}

my $phone = 0;
sub user {
    my (%o) = @_;
    my $p = sprintf('186%08d', ++$phone);
    my $d = $t->register_v2($p, 'secret-pw', %o);
    my $uid = $t->db_value('SELECT id FROM users WHERE phone = ? AND app_id = ?',
        $p, $o{app} // '');

    return { token => $d->{access_token}, uid => $uid, phone => $p };
}

my $A = user();    # owner
my $B = user();    # bidder
my $C = user();    # stranger (sometimes a second bidder)
my $D = user();    # second bidder

sub api {
    my ($method, $path, $body, $u, %hd) = @_;
    return $t->request($method, $path, $body,
        { %hd, -token => $u->{token} });
}

my $n = 0;
sub fields {
    $n++;
    return { title => "Project $n 标题", description => "Needs doing $n",
        budget_fen => 10000 + $n, close_at => iso(time + 86400),
        category => 'design', @_ };
}

# A project of owner u (A) in the state asked, with a bid from B when it
# was ever OPEN: { id, bid }.
sub project {
    my ($state, %o) = @_;
    my $u = $o{owner} // $A;
    my ($s, undef, $d) = api('POST', $P, fields(%{ $o{fields} // {} }), $u);
    die "create: $s" if $s != 201;
    my $p = { id => $d->{data}{id} };
    return $p if $state eq 'DRAFT';
    ($s) = api('POST', "$P$p->{id}/publish/", undef, $u);
    die "publish: $s" if $s != 200;
    return $p if $state eq 'OPEN' && $o{nobid};
    ($s, undef, $d) = api('POST', "$P$p->{id}/bids/", { price_fen => 500,
        message => 'I can' }, $o{bidder} // $B);
    die "bid: $s" if $s != 201;
    $p->{bid} = $d->{data}{id};
    return $p if $state eq 'OPEN';
    if ($state eq 'CANCELLED') {
        ($s) = api('POST', "$P$p->{id}/cancel/", undef, $u);
        die "cancel: $s" if $s != 200;
        return $p;
    }
    ($s) = api('POST', "$P$p->{id}/close/", undef, $u);
    die "close: $s" if $s != 200;
    return $p if $state eq 'CLOSED';
    ($s) = api('POST', "$P$p->{id}/select-winner/", { bid_id => $p->{bid} },
        $u);
    die "select-winner: $s" if $s != 200;
    return $p;
}

sub row {
    return $t->db_row('SELECT * FROM service_project WHERE id = ?', $_[0]);
}

# Everything a refused request must leave as it was.
sub snap {
    my ($id) = @_;
    return FeatTest::json()->canonical->encode([ row($id),
        $t->db_rows('SELECT * FROM service_bid WHERE project_id = ?'
            . ' ORDER BY id', $id),
        $t->db_value('SELECT count(*) FROM push') ]);
}

my %STATUS = (DRAFT => 0, REVIEW => 100, OPEN => 200, CLOSED => 300,
    COMPLETED => 400, CANCELLED => 500);
my %NAME = (0 => '草稿', 100 => '审核中', 200 => '已发布', 300 => '关闭',
    400 => '已完成', 500 => '已取消');

# ---- create -----------------------------------------------------------------

my $close = time + 3 * 86400;
($st, $h, $j) = api('POST', $P, { title => '设计一个Logo', description =>
    '需要一个简洁的 Logo', budget_fen => 200000, close_at => iso($close),
    category => 'design' }, $A);
is($st, 201, 'create: 201');
my $p1 = $j->{data};
is($p1->{status}, 0, '... status 0');
is($p1->{status_display}, '草稿', '... status_display 草稿');
is_deeply($p1->{actions}, [qw(edit delete publish)],
    '... owner actions in DRAFT');
is($p1->{title}, '设计一个Logo', '... title');
is($p1->{budget_fen}, 200000, '... budget_fen');
is($p1->{close_at}, iso($close), '... close_at in the feat form');
is($p1->{category}, 'design', '... category');
is_deeply($p1->{owner}, { uid => $A->{uid}, nickname => '' }, '... owner');
is($p1->{bids_count}, 0, '... no bids');
ok(!defined $p1->{$_}, "... $_ null")
    for qw(my_bid winner review_note published_at closed_at completed_at
        cancelled_at);
like($p1->{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/,
    '... created_at');
my $r1 = row($p1->{id});
is($r1->{owner_id}, $A->{uid}, '... stored for A');
is($r1->{app_id}, '', '... in the default app');
is($r1->{status}, 0, '... stored DRAFT');
is($r1->{close_at}, $close, '... close_at stored as unix seconds');

# a Z time with a fraction, at the limits of every field
my @g = gmtime(time + 7200);
my $z = sprintf('%04d-%02d-%02dT%02d:%02d:%02d.250Z', $g[5] + 1900,
    $g[4] + 1, @g[3, 2, 1, 0]);
($st, $h, $j) = api('POST', $P, { title => '标' x 100, description => '字'
    x 5000, budget_fen => 10_000_000_000, close_at => $z }, $A);
is($st, 201, 'create at the limits (100, 5000 characters, 10^10 fen, a Z '
    . 'time with a fraction): 201');
is($j->{data}{category}, '', '... category "" when absent');
my @g2 = gmtime(row($j->{data}{id})->{close_at});
is(sprintf('%04d-%02d-%02dT%02d:%02d:%02d.250Z', $g2[5] + 1900, $g2[4] + 1,
    @g2[3, 2, 1, 0]), $z, '... close_at is the Z instant');
api('DELETE', "$P$j->{data}{id}/", undef, $A);

# ---- create: every field's bad input ---------------------------------------

my $past = iso(time - 60);
my %BAD = (
    title => [ undef, '', 'x' x 101, 5, [], {} ],
    description => [ undef, '', 'y' x 5001, 7 ],
    budget_fen => [ undef, 0, -1, 10_000_000_001, 'abc', 1.5, \1 ],
    close_at => [ undef, $past, '2030-01-01T10:00:00', '2030-01-01 10:00:00+08:00',
        '2030-02-30T10:00:00+08:00', '2030-01-01T24:00:00+08:00',
        '2030-01-01T10:00:00+8:00', '2030-01-01T10:00:00+08:00x',
        '2030-01-01', 'tomorrow', 1893456000, '' ],
    category => [ 'c' x 33, 12 ],
);
my $count = $t->db_value('SELECT count(*) FROM service_project');
for my $f (sort keys %BAD) {
    for my $v (@{ $BAD{$f} }) {
        my $b = fields();
        my $show = !defined $v ? 'null' : ref $v ? ref($v) : length($v) > 12
            ? length($v) . ' chars' : "'$v'";
        $b->{$f} = $v;
        ($st, $h, $j) = api('POST', $P, $b, $A);
        is($st, 400, "create with $f $show: 400");
        is($j->{code}, 'invalid', '... invalid');
        ok($j->{errors}{$f}, "... errors.$f") or diag(explain($j));
    }
    my $b = fields();
    delete $b->{$f};
    ($st, $h, $j) = api('POST', $P, $b, $A);
    if ($f eq 'category') {
        is($st, 201, 'create without category: 201');
        api('DELETE', "$P$j->{data}{id}/", undef, $A);
    } else {
        is($st, 400, "create without $f: 400");
        ok($j->{errors}{$f}, "... errors.$f");
    }
}
is($t->db_value('SELECT count(*) FROM service_project'), $count,
    'no bad create stored a project');
($st, $h, $j) = $t->post($P, fields());
is($st, 401, 'create without a session: 401');

# ---- visibility of a DRAFT, lists -------------------------------------------

($st, $h, $j) = api('GET', "$P$p1->{id}/", undef, $A);
is($st, 200, 'the owner reads the DRAFT');
($st, $h, $j) = api('GET', "$P$p1->{id}/", undef, $B);
is($st, 404, "another user's DRAFT: 404");
is($j->{code}, 'not_found', '... not_found');
for my $m (['PATCH', '', { title => 'x' }], ['DELETE', ''],
    ['POST', 'publish/'], ['POST', 'close/'], ['POST', 'cancel/'],
    ['POST', 'select-winner/', { bid_id => 1 }],
    ['POST', 'bids/', { price_fen => 1 }], ['GET', 'bids/'],
    ['DELETE', 'bids/mine/'])
{
    my $before = snap($p1->{id});
    ($st) = api($m->[0], "$P$p1->{id}/$m->[1]", $m->[2], $B);
    is($st, 404, "$m->[0] $m->[1] on another user's DRAFT: 404");
    is(snap($p1->{id}), $before, '... nothing changed');
}
($st) = api('GET', "${P}999999/", undef, $A);
is($st, 404, 'an unknown id: 404');
($st) = api('GET', "${P}abc/", undef, $A);
is($st, 404, 'a non-numeric id: 404');

# ---- PATCH and DELETE of a DRAFT --------------------------------------------

($st, $h, $j) = api('PATCH', "$P$p1->{id}/", { title => 'Logo 设计',
    budget_fen => 300000 }, $A);
is($st, 200, 'PATCH a DRAFT: 200');
is($j->{data}{title}, 'Logo 设计', '... title changed');
is($j->{data}{budget_fen}, 300000, '... budget changed');
is($j->{data}{description}, '需要一个简洁的 Logo', '... description kept');
is(row($p1->{id})->{title}, 'Logo 设计', '... stored');
($st, $h, $j) = api('PATCH', "$P$p1->{id}/", { category => '' }, $A);
is($j->{data}{category}, '', 'PATCH category "": cleared');
for my $f (qw(title description budget_fen close_at category)) {
    for my $v (grep { defined } @{ $BAD{$f} }) {
        my $before = snap($p1->{id});
        ($st, $h, $j) = api('PATCH', "$P$p1->{id}/", { $f => $v }, $A);
        is($st, 400, "PATCH $f bad: 400");
        ok($j->{errors}{$f}, "... errors.$f");
        is(snap($p1->{id}), $before, '... nothing changed');
    }
}
my $pd = project('DRAFT');
($st) = api('DELETE', "$P$pd->{id}/", undef, $A);
is($st, 204, 'DELETE a DRAFT: 204');
ok(!row($pd->{id}), '... gone');

# ---- every transition from every state: the owner ---------------------------

my %OPS = (
    edit => sub { api('PATCH', "$P$_[0]{id}/", { title => 'edited' }, $_[1]) },
    delete => sub { api('DELETE', "$P$_[0]{id}/", undef, $_[1]) },
    publish => sub { api('POST', "$P$_[0]{id}/publish/", undef, $_[1]) },
    close => sub { api('POST', "$P$_[0]{id}/close/", undef, $_[1]) },
    cancel => sub { api('POST', "$P$_[0]{id}/cancel/", undef, $_[1]) },
    select_winner => sub { api('POST', "$P$_[0]{id}/select-winner/",
        { bid_id => $_[0]{bid} // 1 }, $_[1]) },
);
# state => { op => [ status, stored status after ] }; absent: 409.
my %LEGAL = (
    DRAFT => { edit => [200, 0], delete => [204, undef],
        publish => [200, 200] },
    OPEN => { close => [200, 300], cancel => [200, 500] },
    CLOSED => { select_winner => [200, 400], cancel => [200, 500] },
    COMPLETED => {}, CANCELLED => {},
);
for my $state (qw(DRAFT OPEN CLOSED COMPLETED CANCELLED)) {
    for my $op (sort keys %OPS) {
        my $p = project($state);
        my $before = snap($p->{id});
        ($st, $h, $j) = $OPS{$op}->($p, $A);
        if (my $l = $LEGAL{$state}{$op}) {
            is($st, $l->[0], "owner $op in $state: $l->[0]");
            my $r = row($p->{id});
            is($r ? $r->{status} : undef, $l->[1],
                '... stored status ' . ($l->[1] // 'gone'));
            if ($st == 200) {
                is($j->{data}{status}, $l->[1], '... answered the project');
                is($j->{data}{status_display}, $NAME{$l->[1]},
                    '... with its status_display');
            }
        } else {
            is($st, 409, "owner $op in $state: 409");
            is($j->{code}, 'invalid_transition', '... invalid_transition');
            is(snap($p->{id}), $before, '... nothing changed');
        }
    }
}

# The times each state reached records.
{
    my $p = project('COMPLETED');
    my $r = row($p->{id});
    ok($r->{published_at} && $r->{closed_at} && $r->{completed_at},
        'COMPLETED: published_at, closed_at, completed_at stored');
    ok(!defined $r->{cancelled_at}, '... cancelled_at not');
    is($r->{winner_bid_id}, $p->{bid}, '... the winner stored');
    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $A);
    is($j->{data}{winner}{id}, $p->{bid}, '... and answered as winner');
    is($j->{data}{winner}{bidder}{uid}, $B->{uid}, '... with its bidder');
    is($j->{data}{winner}{price_fen}, 500, '... and price');
    ok(defined $j->{data}{$_}, "... $_ answered")
        for qw(published_at closed_at completed_at);
    $p = project('CLOSED');
    api('POST', "$P$p->{id}/cancel/", undef, $A);
    $r = row($p->{id});
    ok($r->{closed_at} && $r->{cancelled_at},
        'CLOSED then CANCELLED: closed_at kept, cancelled_at set');
}

# select-winner's bid must be of this project.
{
    my $p = project('CLOSED');
    my $q = project('OPEN', bidder => $D);
    for my $v ($q->{bid}, 999999) {
        my $before = snap($p->{id});
        ($st, $h, $j) = api('POST', "$P$p->{id}/select-winner/",
            { bid_id => $v }, $A);
        is($st, 400, "select-winner with a bid of another project ($v): 400");
        is($j->{code}, 'invalid', '... invalid');
        ok($j->{errors}{bid_id}, '... errors.bid_id');
        is(snap($p->{id}), $before, '... nothing changed');
    }
    for my $v (undef, 0, -1, 'x', 1.5) {
        ($st, $h, $j) = api('POST', "$P$p->{id}/select-winner/",
            { bid_id => $v }, $A);
        is($st, 400, 'select-winner with bid_id ' . ($v // 'null') . ': 400');
        ok($j->{errors}{bid_id}, '... errors.bid_id');
    }
    ($st, $h, $j) = api('POST', "$P$p->{id}/select-winner/", {}, $A);
    is($st, 400, 'select-winner without bid_id: 400');
}

# ---- every owner operation by another user ----------------------------------

for my $state (qw(OPEN CLOSED COMPLETED CANCELLED)) {
    for my $op (sort keys %OPS) {
        my $p = project($state);
        my $before = snap($p->{id});
        for my $u ($B, $C) {
            ($st, $h, $j) = $OPS{$op}->($p, $u);
            is($st, 403, "$op in $state by "
                . ($u == $B ? 'the bidder' : 'a stranger') . ': 403');
            is($j->{code}, 'permission_denied', '... permission_denied');
        }
        is(snap($p->{id}), $before, '... nothing changed');
    }
}

# ---- bids in every state ----------------------------------------------------

{
    my $p = project('OPEN', nobid => 1);
    my $push0 = $t->db_value('SELECT count(*) FROM push');
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 800,
        message => '我能做' }, $B);
    is($st, 201, 'a bid on an OPEN project: 201');
    my $bid = $j->{data};
    is($bid->{project_id}, $p->{id}, '... project_id');
    is_deeply($bid->{bidder}, { uid => $B->{uid}, nickname => '' },
        '... bidder');
    is($bid->{price_fen}, 800, '... price_fen');
    is($bid->{message}, '我能做', '... message');
    is($bid->{created_at}, $bid->{updated_at}, '... created = updated');
    my $br = $t->db_row('SELECT * FROM service_bid WHERE id = ?', $bid->{id});
    is($br->{bidder_id}, $B->{uid}, '... stored');
    is($t->db_value('SELECT count(*) FROM push'), $push0 + 1,
        '... a push queued');
    my $push = $t->db_row('SELECT * FROM push ORDER BY id DESC LIMIT 1');
    # nobody here has a device: nothing to deliver, so sent at once
    is($push->{status}, 1, '... no device to deliver to: push_status 1');
    is($push->{scope}, 1, '... to listed users');
    ok(!defined $push->{manager_id}, '... from the system');
    like($push->{body}, qr/收到一个新的竞标/, '... saying so');
    is_deeply([ map { $_->{user_id} } @{ $t->db_rows(
        'SELECT user_id FROM push_target WHERE push_id = ?', $push->{id}) } ],
        [ $A->{uid} ], '... to the owner');

    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 700 }, $B);
    is($st, 200, 'a second bid by the same user revises it: 200');
    is($j->{data}{id}, $bid->{id}, '... the same bid');
    is($j->{data}{price_fen}, 700, '... the new price');
    is($j->{data}{message}, '我能做', '... the message kept');
    is($t->db_value('SELECT count(*) FROM service_bid WHERE project_id = ?',
        $p->{id}), 1, '... still one bid stored');
    is($t->db_value('SELECT price_fen FROM service_bid WHERE id = ?',
        $bid->{id}), 700, '... with the new price');
    is($t->db_value('SELECT count(*) FROM push'), $push0 + 1,
        '... and no new push');
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 650,
        message => '' }, $B);
    is($j->{data}{message}, '', 'a revision with message "" clears it');

    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $B);
    is($j->{data}{my_bid}{id}, $bid->{id}, "the bidder's my_bid");
    is($j->{data}{bids_count}, 1, '... bids_count 1');
    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $C);
    ok(!defined $j->{data}{my_bid}, "a stranger's my_bid null");

    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 1 }, $A);
    is($st, 403, 'the owner bidding: 403');
    is($j->{code}, 'permission_denied', '... permission_denied');

    for my $bad ([ price_fen => 0 ], [ price_fen => -5 ],
        [ price_fen => 'abc' ], [ price_fen => 1.5 ], [ price_fen => undef ],
        [ price_fen => 10_000_000_001 ], [ message => 'm' x 1001 ],
        [ message => 3 ])
    {
        my $before = snap($p->{id});
        ($st, $h, $j) = api('POST', "$P$p->{id}/bids/",
            { price_fen => 100, @$bad }, $C);
        is($st, 400, "a bid with $bad->[0] "
            . (defined $bad->[1] ? length($bad->[1]) > 10 ? 'too long'
            : "'$bad->[1]'" : 'null') . ': 400');
        ok($j->{errors}{ $bad->[0] }, "... errors.$bad->[0]");
        is(snap($p->{id}), $before, '... nothing changed');
    }
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", {}, $C);
    is($st, 400, 'a bid without price_fen: 400');
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/",
        { price_fen => 1, message => 'm' x 1000 }, $C);
    is($st, 201, 'a bid of 1 fen with a 1000-character message: 201');

    # the bid list: owner all, bidder own, stranger 403
    ($st, $h, $j) = api('GET', "$P$p->{id}/bids/", undef, $A);
    is($st, 200, 'the owner lists the bids');
    is($j->{data}{count}, 2, '... all of them');
    is_deeply([ map { $_->{bidder}{uid} } @{ $j->{data}{results} } ],
        [ $B->{uid}, $C->{uid} ], '... oldest first');
    ($st, $h, $j) = api('GET', "$P$p->{id}/bids/?page_size=1", undef, $A);
    is(scalar @{ $j->{data}{results} }, 1, '... paged');
    like($j->{data}{next}, qr{^http://.*/bids/\?.*page=2}, '... with next');
    ($st, $h, $j) = api('GET', "$P$p->{id}/bids/", undef, $B);
    is($st, 200, 'a bidder lists the bids');
    is($j->{data}{count}, 1, '... only their own');
    is($j->{data}{results}[0]{bidder}{uid}, $B->{uid}, '... theirs');
    ($st, $h, $j) = api('GET', "$P$p->{id}/bids/", undef, $D);
    is($st, 403, 'a stranger lists the bids: 403');

    # withdrawal
    ($st, $h, $j) = api('DELETE', "$P$p->{id}/bids/mine/", undef, $D);
    is($st, 404, 'withdrawing without a bid: 404');
    ($st, $h, $j) = api('DELETE', "$P$p->{id}/bids/mine/", undef, $A);
    is($st, 403, 'the owner withdrawing: 403');
    ($st, $h, $j) = api('DELETE', "$P$p->{id}/bids/mine/", undef, $C);
    is($st, 204, 'withdrawing a bid: 204');
    is($t->db_value('SELECT count(*) FROM service_bid WHERE project_id = ?'
        . ' AND bidder_id = ?', $p->{id}, $C->{uid}), 0, '... gone');
    ($st, $h, $j) = api('DELETE', "$P$p->{id}/bids/mine/", undef, $C);
    is($st, 404, '... and a second withdrawal: 404');
    ($st, $h, $j) = api('GET', "$P$p->{id}/bids/", undef, $C);
    is($st, 403, '... nor may the former bidder list the bids');
}

for my $state (qw(CLOSED COMPLETED CANCELLED)) {
    my $p = project($state);
    my $before = snap($p->{id});
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 9 }, $C);
    is($st, 409, "a new bid in $state: 409");
    is($j->{code}, 'invalid_transition', '... invalid_transition');
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 9 }, $B);
    is($st, 409, "a revision in $state: 409");
    ($st, $h, $j) = api('DELETE', "$P$p->{id}/bids/mine/", undef, $B);
    is($st, 409, "a withdrawal in $state: 409");
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 9 }, $A);
    is($st, 403, "the owner bidding in $state: 403");
    is(snap($p->{id}), $before, '... nothing changed');
    ($st, $h, $j) = api('GET', "$P$p->{id}/bids/", undef, $B);
    is($st, 200, "the bidder still lists their bid in $state");
}
{
    my $p = project('DRAFT');
    ($st) = api('POST', "$P$p->{id}/bids/", { price_fen => 9 }, $B);
    is($st, 404, 'a bid on a DRAFT: 404 (unseen)');
    ($st) = api('POST', "$P$p->{id}/bids/", { price_fen => 9 }, $A);
    is($st, 403, 'the owner bidding on their DRAFT: 403');
}

# ---- actions of owner, bidder and stranger in every state -------------------

my %ACTIONS = (
    DRAFT => [ [qw(edit delete publish)], undef, undef ],
    OPEN => [ [qw(close cancel)], [qw(bid withdraw_bid)], [qw(bid)] ],
    CLOSED => [ [qw(select_winner cancel)], [], [] ],
    COMPLETED => [ [], [], [] ],
    CANCELLED => [ [], [], [] ],
);
for my $state (sort keys %ACTIONS) {
    my $p = project($state);
    my @who = ([ owner => $A ], [ bidder => $B ], [ stranger => $C ]);
    for my $i (0 .. 2) {
        ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $who[$i][1]);
        if (!defined $ACTIONS{$state}[$i]) {
            is($st, 404, "$state seen by the $who[$i][0]: 404");
            next;
        }
        is_deeply($j->{data}{actions}, $ACTIONS{$state}[$i],
            "actions of the $who[$i][0] in $state: "
            . join(' ', @{ $ACTIONS{$state}[$i] }));
        is($j->{data}{status}, $STATUS{$state}, '... status');
        is($j->{data}{status_display}, $NAME{ $STATUS{$state} },
            '... status_display');
    }
}

# ---- the owner's list -------------------------------------------------------

{
    my $E = user();
    my @ids = map { project($_, owner => $E)->{id} } qw(DRAFT OPEN CLOSED);
    ($st, $h, $j) = api('GET', $P, undef, $E);
    is($st, 200, "the owner's list");
    is($j->{data}{count}, 3, '... their three projects');
    is_deeply([ map { $_->{id} } @{ $j->{data}{results} } ],
        [ reverse @ids ], '... newest first');
    ($st, $h, $j) = api('GET', "$P?status=200", undef, $E);
    is_deeply([ map { $_->{id} } @{ $j->{data}{results} } ], [ $ids[1] ],
        '?status=200: the OPEN one');
    ($st, $h, $j) = api('GET', "$P?status=0&page_size=1", undef, $E);
    is($j->{data}{count}, 1, '?status=0: the DRAFT');
    ($st, $h, $j) = api('GET', "$P?page_size=2&page=2", undef, $E);
    is($j->{data}{count}, 3, 'page 2 of size 2: count 3');
    is_deeply([ map { $_->{id} } @{ $j->{data}{results} } ], [ $ids[0] ],
        '... the oldest');
    ok(defined $j->{data}{previous} && !defined $j->{data}{next},
        '... previous, no next');
    for my $bad ('abc', '250', '-1', '600', '1.5') {
        ($st, $h, $j) = api('GET', "$P?status=$bad", undef, $E);
        is($st, 400, "?status=$bad: 400");
        ok($j->{errors}{status}, '... errors.status');
    }
    ($st, $h, $j) = api('GET', "$P?page=0", undef, $E);
    is($st, 400, '?page=0: 400');
    ($st, $h, $j) = api('GET', $P, undef, $D);
    ok(!grep({ my $x = $_; grep { $_ == $x->{id} } @ids }
        @{ $j->{data}{results} }), "another user's list has none of them");
}

# ---- the square ---------------------------------------------------------------

my $S = '/api/service/square/';
{
    my $F = user();
    my $G = user();
    my %sq;
    $sq{draft} = project('DRAFT', owner => $F, fields => { title =>
        'Hidden DRAFT', category => 'sq' });
    $sq{a} = project('OPEN', owner => $F, nobid => 1, fields => { title =>
        'Build a WEBSITE', description => '网站 开发 100%_done',
        category => 'sq' });
    $sq{b} = project('OPEN', owner => $G, nobid => 1, fields => { title =>
        '翻译 CAFÉ 菜单', description => 'Menu translation', category =>
        'sq2' });
    $sq{c} = project('OPEN', owner => $F, nobid => 1, fields => { title =>
        'Logo', description => 'Ünïcode ПРИВЕТ', category => 'sq' });
    $sq{closed} = project('CLOSED', owner => $F, fields => { title =>
        'Closed website', category => 'sq' });
    $sq{cancelled} = project('CANCELLED', owner => $F, fields => { title =>
        'Cancelled website', category => 'sq' });

    # published_at order: stage distinct publish times
    my $now = time;
    $t->dbh->do('UPDATE service_project SET published_at = ? WHERE id = ?',
        undef, $now - 30, $sq{a}{id});
    $t->dbh->do('UPDATE service_project SET published_at = ? WHERE id = ?',
        undef, $now - 10, $sq{b}{id});
    $t->dbh->do('UPDATE service_project SET published_at = ? WHERE id = ?',
        undef, $now - 20, $sq{c}{id});

    my $ids = sub {
        my ($q, $u) = @_;
        my ($s, undef, $d) = api('GET', "$S$q", undef, $u // $F);
        return [ map { $_->{id} } @{ $d->{data}{results} } ];
    };
    my @open = ($sq{b}{id}, $sq{c}{id}, $sq{a}{id});
    my $all = $ids->('?page_size=100');
    my @mine = grep { my $x = $_; grep { $_ == $x } @open } @$all;
    is_deeply(\@mine, \@open,
        'square: OPEN ones only, the caller\'s own included, most recently '
        . 'published first');
    ok(!grep({ $_ == $sq{draft}{id} || $_ == $sq{closed}{id}
        || $_ == $sq{cancelled}{id} } @$all),
        '... no DRAFT, CLOSED or CANCELLED');
    is_deeply($ids->('?category=sq2'), [ $sq{b}{id} ], '?category=sq2');
    is_deeply($ids->('?category=sq'), [ $sq{c}{id}, $sq{a}{id} ],
        '?category=sq');
    is_deeply($ids->('?q=website&category=sq'), [ $sq{a}{id} ],
        '?q=website: the title, case-insensitive, OPEN only');
    is_deeply($ids->('?q=WebSite&category=sq'), [ $sq{a}{id} ],
        '?q=WebSite: the same');
    is_deeply($ids->('?q=%E7%BD%91%E7%AB%99'), [ $sq{a}{id} ],
        '?q=网站: Chinese in the description');
    is_deeply($ids->('?q=%E8%8F%9C%E5%8D%95'), [ $sq{b}{id} ],
        '?q=菜单: Chinese in the title');
    is_deeply($ids->('?q=caf%C3%A9'), [ $sq{b}{id} ],
        '?q=café finds CAFÉ');
    is_deeply($ids->('?q=%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82'),
        [ $sq{c}{id} ], '?q=привет finds ПРИВЕТ');
    is_deeply($ids->('?q=%C3%BCn%C3%AF'), [ $sq{c}{id} ], '?q=ünï');
    is_deeply($ids->('?q=MENU+TRANS'), [ $sq{b}{id} ],
        '?q=MENU TRANS: a phrase');
    is_deeply($ids->('?q=100%25_'), [ $sq{a}{id} ],
        '?q=100%_: wildcard characters are literal');
    is_deeply($ids->('?q=%25'), [ $sq{a}{id} ], '?q=%: literal');
    is_deeply($ids->('?q=_&category=sq2'), [], '?q=_: literal, no match');
    is_deeply($ids->('?q=nothing-like-this'), [], 'no match: empty');
    my ($s2, undef, $d2) = api('GET', "$S?q=" . ('x' x 101), undef, $F);
    is($s2, 400, '?q= of 101 characters: 400');
    ok($d2->{errors}{q}, '... errors.q');

    ($st, $h, $j) = api('GET', "$S?category=sq&page_size=1", undef, $F);
    is($j->{data}{count}, 2, 'square paging: count 2');
    is(scalar @{ $j->{data}{results} }, 1, '... one per page');
    like($j->{data}{next}, qr{/api/service/square/\?.*page=2}, '... next');
    ok(!defined $j->{data}{previous}, '... no previous');
    ($st, $h, $j) = api('GET', "$S?category=sq&page_size=1&page=2", undef,
        $F);
    is($j->{data}{results}[0]{id}, $sq{a}{id}, '... page 2');
    ($st, $h, $j) = api('GET', "$S?category=sq&page=9", undef, $F);
    is_deeply($j->{data}{results}, [], 'past the end: empty');
    is($j->{data}{count}, 2, '... with the true count');
    ($st, $h, $j) = api('GET', "$S?category=sq2", undef, $G);
    is_deeply($j->{data}{results}[0]{actions}, [qw(close cancel)],
        "the owner's actions on the square");
    ($st, $h, $j) = api('GET', "$S?category=sq2", undef, $F);
    is_deeply($j->{data}{results}[0]{actions}, [qw(bid)],
        "another user's actions on the square");
}

# ---- time closes: before and after the sweep --------------------------------

{
    my $p = project('OPEN');
    my $q = project('OPEN', nobid => 1);
    my $gone = time - 5;
    my $before_push = $t->db_value('SELECT count(*) FROM push');
    # stage: the close time has passed; the sweep (daily here) has not run
    $t->dbh->do('UPDATE service_project SET close_at = ? WHERE id IN (?, ?)',
        undef, $gone, $p->{id}, $q->{id});

    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $A);
    is($j->{data}{status}, 300, 'past close_at, before the sweep: CLOSED');
    is($j->{data}{status_display}, '关闭', '... 关闭');
    is($j->{data}{closed_at}, iso($gone), '... closed_at = close_at');
    is_deeply($j->{data}{actions}, [qw(select_winner cancel)],
        "... the owner's CLOSED actions");
    is(row($p->{id})->{status}, 200, '... while the row still says OPEN');
    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $C);
    is_deeply($j->{data}{actions}, [], "... a stranger's actions: none");
    my $before = snap($p->{id});
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 5 }, $C);
    is($st, 409, '... a new bid: 409');
    ($st, $h, $j) = api('POST', "$P$p->{id}/bids/", { price_fen => 5 }, $B);
    is($st, 409, '... a revision: 409');
    ($st, $h, $j) = api('DELETE', "$P$p->{id}/bids/mine/", undef, $B);
    is($st, 409, '... a withdrawal: 409');
    ($st, $h, $j) = api('POST', "$P$p->{id}/close/", undef, $A);
    is($st, 409, '... close: 409');
    is(snap($p->{id}), $before, '... nothing changed');
    ($st, $h, $j) = api('GET', "$S?page_size=100", undef, $C);
    ok(!grep({ $_->{id} == $p->{id} } @{ $j->{data}{results} }),
        '... not on the square');
    ($st, $h, $j) = api('GET', "$P?status=300&page_size=100", undef, $A);
    ok((grep { $_->{id} == $p->{id} } @{ $j->{data}{results} }),
        '... listed under ?status=300');
    ($st, $h, $j) = api('GET', "$P?status=200&page_size=100", undef, $A);
    ok(!grep({ $_->{id} == $p->{id} } @{ $j->{data}{results} }),
        '... not under ?status=200');

    # a write on it stores the close first
    my $w = project('OPEN');
    $t->dbh->do('UPDATE service_project SET close_at = ? WHERE id = ?',
        undef, $gone, $w->{id});
    ($st, $h, $j) = api('POST', "$P$w->{id}/select-winner/",
        { bid_id => $w->{bid} }, $A);
    is($st, 200, 'select-winner on a time-closed project: 200');
    my $r = row($w->{id});
    is($r->{status}, 400, '... COMPLETED');
    is($r->{closed_at}, $gone, '... closed_at = close_at stored');

    # the jobs process stores the rest: USR1 makes it sweep at once
    $before_push = $t->db_value('SELECT coalesce(max(id), 0) FROM push');
    my $jobs = $t->jobs_pid;
    ok($jobs, 'the jobs process is found');
    kill('USR1', $jobs);
    ok($t->wait_for(sub { row($p->{id})->{status} == 300
        && row($q->{id})->{status} == 300 }), 'after the sweep: stored CLOSED');
    is(row($p->{id})->{closed_at}, $gone, '... closed_at = close_at');
    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $A);
    is($j->{data}{closed_at}, iso($gone), '... answered the same');
    my $pushes = $t->db_rows('SELECT p.id, p.title, t.user_id FROM push p'
        . ' JOIN push_target t ON t.push_id = p.id WHERE p.id > ?'
        . " AND p.title = '需求已关闭'", $before_push);
    is_deeply([ map { $_->{user_id} } @$pushes ], [ $B->{uid} ],
        '... the closed push to the one bidder (none for the bidless one)');
}

# ---- events: closed, cancelled, completed to every bidder -------------------

for my $case ([ close => '需求已关闭', 'CLOSED' ],
    [ cancel => '需求已取消', 'CANCELLED' ],
    [ 'select-winner' => '需求已完成', 'COMPLETED' ])
{
    my ($op, $title, $state) = @$case;
    my $p = project($op eq 'select-winner' ? 'CLOSED' : 'OPEN');
    api('POST', "$P$p->{id}/bids/", { price_fen => 3 }, $D)
        if $op ne 'select-winner';
    my $last = $t->db_value('SELECT coalesce(max(id), 0) FROM push');
    ($st) = api('POST', "$P$p->{id}/$op/",
        $op eq 'select-winner' ? { bid_id => $p->{bid} } : undef, $A);
    is($st, 200, "$op: 200");
    my $rows = $t->db_rows('SELECT p.title, p.status, p.manager_id,'
        . ' t.user_id FROM push p JOIN push_target t ON t.push_id = p.id'
        . ' WHERE p.id > ? ORDER BY t.user_id', $last);
    my @want = sort { $a <=> $b } $B->{uid},
        $op ne 'select-winner' ? $D->{uid} : ();
    is_deeply([ map { $_->{user_id} } @$rows ], \@want,
        "... one push to every bidder");
    ok(!grep({ $_->{title} ne $title || $_->{status} != 1
        || defined $_->{manager_id} } @$rows),
        "... \"$title\", sent at once (no device to deliver to)");
}

# ---- another app sees nothing -----------------------------------------------

{
    ($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
    is($rc, 0, 'featctl app add shop') or diag($err);
    my $X = user(app => 'shop', headers => { -app => 'shop' });
    my $p = project('OPEN');
    my $ap = sub { my ($m, $path, $b) = @_;
        return api($m, $path, $b, $X, -app => 'shop') };
    ($st) = $ap->('GET', "$P$p->{id}/");
    is($st, 404, "another app's OPEN project: 404");
    ($st) = $ap->('POST', "$P$p->{id}/bids/", { price_fen => 1 });
    is($st, 404, '... a bid on it: 404');
    ($st) = $ap->('GET', "$P$p->{id}/bids/");
    is($st, 404, '... its bids: 404');
    ($st) = $ap->('POST', "$P$p->{id}/close/");
    is($st, 404, '... closing it: 404');
    ($st, $h, $j) = $ap->('GET', $S);
    is($j->{data}{count}, 0, "... the other app's square is empty");
    ($st, $h, $j) = $ap->('POST', $P, fields());
    is($st, 201, 'a project in shop: 201');
    my $sid = $j->{data}{id};
    is(row($sid)->{app_id}, 'shop', '... stored in shop');
    $ap->('POST', "$P$sid/publish/");
    ($st) = api('GET', "$P$sid/", undef, $A);
    is($st, 404, "... the default app cannot see shop's project");
    ($st, $h, $j) = api('GET', "$S?page_size=100", undef, $A);
    ok(!grep({ $_->{id} == $sid } @{ $j->{data}{results} }),
        '... nor on its square');
}

# ---- REVIEW: the app's service.review setting --------------------------------

{
    ($rc, $out, $err) = $t->featctl('app', 'set', '', 'service.review=on');
    is($rc, 0, 'featctl app set "" service.review=on') or diag($err);
    # every worker reads a changed setting within a second (settings.c)
    sleep(1.2);

    my $p = project('DRAFT');
    ($st, $h, $j) = api('POST', "$P$p->{id}/publish/", undef, $A);
    is($st, 200, 'publish with review on: 200');
    is($j->{data}{status}, 100, '... REVIEW');
    is($j->{data}{status_display}, '审核中', '... 审核中');
    is_deeply($j->{data}{actions}, [], '... the owner has no actions');
    ok(!defined $j->{data}{published_at}, '... not published');
    is(row($p->{id})->{status}, 100, '... stored');
    ($st) = api('GET', "$P$p->{id}/", undef, $B);
    is($st, 404, "another user's REVIEW: 404");
    ($st) = api('POST', "$P$p->{id}/bids/", { price_fen => 3 }, $B);
    is($st, 404, '... a bid on it: 404');
    ($st, $h, $j) = api('GET', "$S?page_size=100", undef, $B);
    ok(!grep({ $_->{id} == $p->{id} } @{ $j->{data}{results} }),
        '... not on the square');
    ($st) = api('POST', "$P$p->{id}/bids/", { price_fen => 3 }, $A);
    is($st, 403, '... the owner bidding on it: 403');
    ($st) = api('DELETE', "$P$p->{id}/bids/mine/", undef, $B);
    is($st, 404, '... a withdrawal from it: 404');
    ($st) = api('GET', "$P$p->{id}/bids/", undef, $B);
    is($st, 404, '... its bids: 404');
    ($st, $h, $j) = api('GET', "$P?status=100", undef, $A);
    ok((grep { $_->{id} == $p->{id} } @{ $j->{data}{results} }),
        "... in the owner's list under ?status=100");
    for my $op (sort keys %OPS) {
        my $before = snap($p->{id});
        ($st, $h, $j) = $OPS{$op}->($p, $A);
        is($st, 409, "owner $op in REVIEW: 409");
        is(snap($p->{id}), $before, '... nothing changed');
        ($st) = $OPS{$op}->($p, $C);
        is($st, 404, "a stranger's $op in REVIEW: 404");
    }

    ($rc, $out, $err) = $t->featctl('--json', 'project', 'approve', $p->{id});
    is($rc, 0, 'featctl project approve: exit 0') or diag($err);
    is(row($p->{id})->{status}, 200, '... OPEN');
    ok(row($p->{id})->{published_at}, '... published_at set');
    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $B);
    is($st, 200, '... others see it');
    is_deeply($j->{data}{actions}, [qw(bid)], '... and may bid');

    my $q = project('DRAFT');
    api('POST', "$P$q->{id}/publish/", undef, $A);
    ($rc, $out, $err) = $t->featctl('--json', 'project', 'reject', $q->{id},
        '--reason', '描述不清楚');
    is($rc, 0, 'featctl project reject --reason: exit 0') or diag($err);
    my $r = row($q->{id});
    is($r->{status}, 0, '... back to DRAFT');
    is($r->{review_note}, '描述不清楚', '... with the review_note');
    ($st, $h, $j) = api('GET', "$P$q->{id}/", undef, $A);
    is($j->{data}{review_note}, '描述不清楚', '... the owner reads it');
    is_deeply($j->{data}{actions}, [qw(edit delete publish)],
        '... and may edit and publish again');
    ($st, $h, $j) = api('POST', "$P$q->{id}/publish/", undef, $A);
    is($j->{data}{status}, 100, '... into REVIEW again');
    ($rc, $out, $err) = $t->featctl('project', 'approve', $q->{id});
    is(row($q->{id})->{review_note}, undef, 'approve clears the review_note');

    ($rc, $out, $err) = $t->featctl('project', 'approve', $q->{id});
    is($rc, 1, 'approve of an OPEN project: exit 1');
    ($rc, $out, $err) = $t->featctl('project', 'reject', $q->{id},
        '--reason', 'x');
    is($rc, 1, 'reject of an OPEN project: exit 1');

    ($rc, $out, $err) = $t->featctl('app', 'set', '', 'service.review=off');
    is($rc, 0, 'service.review=off') or diag($err);
    sleep(1.2);
    my $o = project('DRAFT');
    ($st, $h, $j) = api('POST', "$P$o->{id}/publish/", undef, $A);
    is($j->{data}{status}, 200, 'review off: publish opens at once');
}

# ---- racing transitions from parallel clients --------------------------------

# Runs each sub in its own process, all released at once; answers their
# HTTP statuses in order.
sub race {
    my (@subs) = @_;
    my (@kids, @st);
    pipe(my $go_r, my $go_w) or die "pipe: $!";

    for my $s (@subs) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork() // die "fork: $!";
        if ($pid == 0) {
            close($go_w);
            close($r);
            sysread($go_r, my $x, 1);    # blocks until the parent closes
            my ($code) = $s->();
            syswrite($w, "$code\n");
            POSIX::_exit(0);
        }
        close($w);
        push @kids, [ $pid, $r ];
    }
    close($go_r);
    close($go_w);                       # releases them all
    for my $k (@kids) {
        my $fh = $k->[1];
        my $line = <$fh> // '';
        chomp $line;
        push @st, $line;
        waitpid($k->[0], 0);
    }
    return @st;
}

for my $round (1 .. 5) {
    my $p = project('OPEN');
    my @s = race(map { my $x = $_; sub { (api('POST', "$P$p->{id}/close/",
        undef, $A))[0] } } 1 .. 2);
    is_deeply([ sort @s ], [ 200, 409 ],
        "round $round: two racing closes: one 200, one 409");
    is(row($p->{id})->{status}, 300, '... stored CLOSED');
    is($t->db_value(q{SELECT count(*) FROM push p JOIN push_target t}
        . q{ ON t.push_id = p.id WHERE p.title = '需求已关闭'}
        . q{ AND p.body LIKE ?}, '%' . row($p->{id})->{title} . '%'), 1,
        '... one closed push');
}

for my $round (1 .. 5) {
    my $p = project('OPEN');
    my ($s3, undef, $d3) = api('POST', "$P$p->{id}/bids/",
        { price_fen => 42 }, $D);
    api('POST', "$P$p->{id}/close/", undef, $A);
    my @bids = ($p->{bid}, $d3->{data}{id});
    my @s = race(map { my $b = $_; sub { (api('POST',
        "$P$p->{id}/select-winner/", { bid_id => $b }, $A))[0] } } @bids);
    is_deeply([ sort @s ], [ 200, 409 ],
        "round $round: two racing select-winners: one 200, one 409");
    my $won = $s[0] == 200 ? $bids[0] : $bids[1];
    my $r = row($p->{id});
    is($r->{status}, 400, '... stored COMPLETED');
    is($r->{winner_bid_id}, $won, '... with the winner that was answered');
}

for my $round (1 .. 5) {
    my $p = project('OPEN');
    my @s = race(sub { (api('POST', "$P$p->{id}/close/", undef, $A))[0] },
        sub { (api('POST', "$P$p->{id}/bids/", { price_fen => 77 }, $C))[0] });
    is($s[0], 200, "round $round: close against a bid: the close 200");
    my $r = row($p->{id});
    is($r->{status}, 300, '... stored CLOSED');
    my $bid = $t->db_row('SELECT * FROM service_bid WHERE project_id = ?'
        . ' AND bidder_id = ?', $p->{id}, $C->{uid});
    if ($s[1] == 201) {
        ok($bid && $bid->{created_at} <= $r->{closed_at},
            '... the bid answered 201 is stored, from before the close');
    } else {
        is($s[1], 409, '... the bid answered 409');
        ok(!$bid, '... and is not stored');
    }
}

for my $round (1 .. 3) {
    my $p = project('OPEN', nobid => 1);
    my @s = race(map { my $x = $_; sub { (api('POST', "$P$p->{id}/bids/",
        { price_fen => 100 + $x }, $C))[0] } } 1 .. 2);
    is_deeply([ sort @s ], [ 200, 201 ],
        "round $round: two racing bids of one user: one 201, one 200");
    is($t->db_value('SELECT count(*) FROM service_bid WHERE project_id = ?',
        $p->{id}), 1, '... one bid stored');
    is($t->db_value(q{SELECT count(*) FROM push WHERE title = '收到新的竞标'}
        . q{ AND body LIKE ?}, '%' . row($p->{id})->{title} . '%'), 1,
        '... one new-bid push');
}

# ---- the clock shifted: the sweep at the jobs process's start ---------------

{
    my $p = project('OPEN', fields => { close_at => iso(time + 3600) });
    my $q = project('DRAFT', fields => { close_at => iso(time + 3600) });
    ($st, $h, $j) = api('GET', "$P$p->{id}/", undef, $A);
    is($j->{data}{status}, 200, 'OPEN with an hour to go');
    $t->stop_processes;
    $t->{opt}{env}{FEAT_CLOCK_SHIFT} = 7200;
    $t->start;
    ok($t->wait_for(sub { row($p->{id})->{status} == 300 }),
        'two hours later: the sweep stored it CLOSED');
    is(row($p->{id})->{closed_at}, row($p->{id})->{close_at},
        '... closed_at = close_at');
    is(row($q->{id})->{status}, 0, '... a DRAFT past close_at stays a DRAFT');
    ($st, $h, $j) = api('GET', "$P$q->{id}/", undef, $A);
    is($j->{data}{status}, 0, '... and reads as a DRAFT');
    ($st, $h, $j) = api('POST', "$P$q->{id}/publish/", undef, $A);
    is($st, 400, '... whose publishing with close_at past: 400');
    ok($j->{errors}{close_at}, '... errors.close_at');
    is(row($q->{id})->{status}, 0, '... still a DRAFT');
    ($st, $h, $j) = api('POST', $P, fields(close_at => iso(time + 3600)), $A);
    is($st, 400, 'a close_at the shifted clock has passed: 400');
    ok($j->{errors}{close_at}, '... errors.close_at');
}

$t->stop;
done_testing;

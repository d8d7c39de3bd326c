#!/usr/bin/perl

# t/10-push-v2.t: the v2 push routes through nginx: POST /api/push/bind,
# GET/PUT /api/push/switch/{client_id}, GET /api/push/log and
# /api/push/log/{id}, DELETE /api/push/log/delete and GET
# /api/message/count with every form of push_ids.  Pushes are recorded by
# "featctl push send" (queued, push_status 0).

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatTest;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my $j;

sub api { return FeatAdmin::api($t, @_) }
sub ctl_ok { return FeatAdmin::ctl_ok($t, @_) }

my $u = FeatAdmin::user($t, '13400000001');
my $v = FeatAdmin::user($t, '13400000002');
my $m = ctl_ok('manager', 'add', 'ops');

# ---- bind -------------------------------------------------------------------------

$j = api($u, 'POST', '/api/push/bind', { client_id => 'cid-android-1',
    client_type => 'android' });
is($j->{code}, 0, 'POST /api/push/bind: 0');
is_deeply([ sort keys %{ $j->{data} } ], [ sort qw(id app_id created_at
    updated_at user_id client_id client_type switch) ], '... seed fields');
is($j->{data}{user_id}, $u->{id}, '... the caller');
is($j->{data}{client_type}, 'android', '... client_type');
ok($j->{data}{switch}, '... switch true');
my $bound = $j->{data}{id};

$j = api($u, 'POST', '/api/push/bind', { client_id => 'cid-android-1',
    client_type => 'android' });
is($j->{data}{id}, $bound, 'binding again: the same row');

for my $case (
    [ 'no client_id', { client_type => 'ios' } ],
    [ 'no client_type', { client_id => 'c' } ],
    [ 'client_type web', { client_id => 'c', client_type => 'web' } ],
    [ 'client_id not ASCII', { client_id => "caf\x{e9}", client_type => 'ios' } ],
    [ 'client_id with a tab', { client_id => "a\tb", client_type => 'ios' } ],
    [ 'client_id too long', { client_id => 'c' x 129, client_type => 'ios' } ],
    [ 'client_id a number', { client_id => 5, client_type => 'ios' } ],
)
{
    is(api($u, 'POST', '/api/push/bind', $case->[1])->{code}, 10005,
        "bind, $case->[0]: 10005");
}
is($t->db_value('SELECT count(*) FROM push_client'), 1, '... nothing stored');
is(api(undef, 'POST', '/api/push/bind', { client_id => 'c',
    client_type => 'ios' })->{code}, 10004, 'bind without a token: 10004');

# ---- switch -------------------------------------------------------------------------

$j = api($u, 'GET', '/api/push/switch/cid-android-1');
is($j->{code}, 0, 'GET /api/push/switch/{client_id}: 0');
ok($j->{data}{switch}, '... on');
$j = api($u, 'PUT', '/api/push/switch/cid-android-1', { switch => JSON::PP::false });
is($j->{code}, 0, 'PUT switch false: 0');
is_deeply($j->{data}, {}, '... data {}');
ok(!api($u, 'GET', '/api/push/switch/cid-android-1')->{data}{switch},
    '... now off');
is($t->db_value(q{SELECT switch FROM push_client WHERE client_id =
    'cid-android-1'}), 0, '... stored');
is(api($u, 'PUT', '/api/push/switch/cid-android-1', { switch => 'maybe' })
    ->{code}, 10005, 'PUT switch "maybe": 10005');
is(api($u, 'PUT', '/api/push/switch/cid-android-1', {})->{code}, 10005,
    'PUT switch missing: 10005');
is(api($u, 'GET', '/api/push/switch/nosuch')->{code}, 10001,
    'an unknown client: 10001');
is(api($u, 'PUT', '/api/push/switch/nosuch', { switch => JSON::PP::true })
    ->{code}, 10001, 'PUT on an unknown client: 10001');

# ---- the log ---------------------------------------------------------------------------

$j = api($u, 'GET', '/api/push/log');
is($j->{code}, 0, 'GET /api/push/log with no push: 0');
is($j->{data}{total}, 0, '... empty');

my $p1 = ctl_ok('push', 'send', '--title', '推送测试', '--body', '推送测试内容',
    '--all');
my $p2 = ctl_ok('push', 'send', '--title', 'for u', '--body', 'u only',
    '--user', $u->{id});

$j = api($u, 'GET', '/api/push/log');
is_deeply(FeatAdmin::ids($j), [ $p2->{id}, $p1->{id} ],
    'GET /api/push/log: both, newest first');
my $e = $j->{data}{data}[1];
is_deeply([ sort keys %$e ], [ sort qw(id app_id created_at updated_at
    push_title push_body push_scope manager_id push_status) ],
    '... the seed\'s list fields');
is($e->{push_title}, '推送测试', '... title');
is($e->{push_body}, '推送测试内容', '... body');
is($e->{push_scope}, 0, '... scope 0');
# nobody has a device with its switch on: sent once the jobs process has
# fanned the push out (push_status 0 until then)
ok($t->wait_for(sub { $t->db_value('SELECT status FROM push WHERE id = ?',
    $p1->{id}) == 1 }), '... push_status 1 once fanned out: no device');
$j = api($u, 'GET', '/api/push/log');
$e = $j->{data}{data}[1];
is($e->{push_status}, 1, '... and the log says so');
is($e->{manager_id}, $m->{id}, '... manager');
is($j->{data}{data}[0]{push_scope}, 1, '... the listed one scope 1');

$j = api($v, 'GET', '/api/push/log');
is_deeply(FeatAdmin::ids($j), [ $p1->{id} ], 'scope 1 does not reach v');

$j = api($u, 'GET', "/api/push/log/$p1->{id}");
is($j->{code}, 0, 'GET /api/push/log/{id}: 0');
is_deeply([ sort keys %{ $j->{data} } ], [ sort qw(id app_id created_at
    updated_at push_title push_body push_scope manager_id) ],
    '... the seed\'s detail fields (no push_status)');
is(api($v, 'GET', "/api/push/log/$p2->{id}")->{code}, 10001,
    'v reading u\'s listed push: 10001');
for my $id (999999, 0, 'abc') {
    is(api($u, 'GET', "/api/push/log/$id")->{code}, 10001,
        "GET /api/push/log/$id: 10001");
}

$j = api($u, 'GET', '/api/push/log?page_size=1&page_no=2');
is_deeply(FeatAdmin::ids($j), [ $p1->{id} ], 'paging: page 2 of size 1');
is($j->{data}{pages}, 2, '... 2 pages');
for my $q ('page_no=0', 'page_no=-1', 'page_size=0', 'page_size=abc') {
    is(api($u, 'GET', "/api/push/log?$q")->{code}, 10005, "?$q: 10005");
}
is(api($u, 'GET', '/api/push/log?page_size=100000')->{data}{page_size}, 100,
    'page_size 100000 clamped to 100');

# ---- message/count ------------------------------------------------------------------------

my ($a1, $a2) = ($p1->{id}, $p2->{id});
my %forms = (
    'none'                 => [ 'GET', '/api/message/count', undef, 2 ],
    'push_ids=a,b'         => [ 'GET', "/api/message/count?push_ids=$a1,$a2",
                                undef, 0 ],
    'push_ids=[a]'         => [ 'GET', "/api/message/count?push_ids=%5B$a1%5D",
                                undef, 1 ],
    'repeated push_ids'    => [ 'GET',
        "/api/message/count?push_ids=$a1&push_ids=$a2", undef, 0 ],
    'JSON array body'      => [ 'GET', '/api/message/count', [ $a2 ], 1 ],
    'JSON object body'     => [ 'GET', '/api/message/count',
        { push_ids => [ $a1, $a2 ] }, 0 ],
    'unknown ids'          => [ 'GET',
        "/api/message/count?push_ids=$a1,999999,$a1", undef, 1 ],
    'empty'                => [ 'GET', '/api/message/count?push_ids=', undef,
                                2 ],
);
for my $name (sort keys %forms) {
    my $f = $forms{$name};
    $j = api($u, $f->[0], $f->[1], $f->[2]);
    is($j->{code}, 0, "message/count, $name: 0");
    is($j->{data}{push_count}, $f->[3], "... push_count $f->[3]");
    is($j->{data}{feedback_count}, 0, '... feedback_count 0');
}
for my $q ('push_ids=1,x', 'push_ids=1.5', 'push_ids=[1', 'push_ids=,') {
    is(api($u, 'GET', "/api/message/count?$q")->{code}, 10005,
        "message/count ?$q: 10005");
}
is(api($u, 'GET', '/api/message/count', { push_ids => 'x' })->{code}, 10005,
    'message/count with a word in JSON: 10005');
is(api($u, 'GET', '/api/message/count', { push_ids => [ 'a' ] })->{code},
    10005, 'message/count with ["a"]: 10005');
is(api($v, 'GET', '/api/message/count')->{data}{push_count}, 1,
    'v counts only the push that reaches it');

# ---- hide ----------------------------------------------------------------------------------

$j = api($u, 'DELETE', '/api/push/log/delete');
is($j->{code}, 0, 'DELETE /api/push/log/delete: 0');
is_deeply($j->{data}, {}, '... data {}');
$j = api($u, 'GET', '/api/push/log');
is($j->{data}{total}, 0, '... the log is empty for u');
is(api($u, 'GET', "/api/push/log/$a1")->{code}, 10001,
    '... a hidden push answers 10001');
is(api($u, 'GET', '/api/message/count')->{data}{push_count}, 0,
    '... and no longer counts');
is(api($v, 'GET', '/api/push/log')->{data}{total}, 1,
    '... v still sees its push');
is($t->db_value('SELECT count(*) FROM push'), 2, '... no push deleted');

my $p3 = ctl_ok('push', 'send', '--title', 'later', '--body', 'b', '--all');
$j = api($u, 'GET', '/api/push/log');
is_deeply(FeatAdmin::ids($j), [ $p3->{id} ], 'a later push shows');
is(api($u, 'GET', '/api/message/count')->{data}{push_count}, 1,
    '... and counts');
is(api($u, 'GET', '/api/push/log/delete')->{code}, 10001,
    'GET /api/push/log/delete: not an id, 10001');

$t->stop;
done_testing;

#!/usr/bin/perl

# t/10-feedback-v2.t: the v2 feedback routes through nginx: POST, GET and
# DELETE /api/feedback, GET /api/feedback/reply/{feedback_id} and GET
# /api/feedback_category; each success answer as the seed shows it, each
# field error 10005 with nothing stored, the reply's is_read before and
# after the first fetch, and message/count's feedback_count following
# replies, reads and deletes.

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

my $u = FeatAdmin::user($t, '13500000001');
my $m = ctl_ok('manager', 'add', 'desk');

# ---- categories --------------------------------------------------------------------

$j = api($u, 'GET', '/api/feedback_category');
is($j->{code}, 0, 'GET /api/feedback_category: 0');
is($j->{data}{total}, 0, '... none yet');
my $c = ctl_ok('feedback-category', 'add', 'app', '--description', 'app');
$j = api($u, 'GET', '/api/feedback_category');
is_deeply($j->{data}{data}, [ { id => $c->{id}, app_id => '', name => 'app',
    description => 'app', created_at => $j->{data}{data}[0]{created_at},
    updated_at => $j->{data}{data}[0]{updated_at} } ],
    '... the seed\'s category object');
$j = api($u, 'GET', '/api/feedback_category?page_size=0');
is($j->{code}, 10005, '... page_size=0: 10005');
$j = api(undef, 'GET', '/api/feedback_category');
is($j->{code}, 10004, '... no token: 10004');

# ---- create ------------------------------------------------------------------------

$j = api($u, 'POST', '/api/feedback', { feedback_content => '反馈内容',
    feedback_category_id => $c->{id}, contact_phone => '18656660930' });
is($j->{code}, 0, 'POST /api/feedback: 0');
my $f = $j->{data};
is_deeply([ sort keys %$f ], [ sort qw(id app_id created_at updated_at
    feedback_content feedback_status feedback_category_id contact_phone
    user_id) ], '... the seed\'s fields');
is($f->{feedback_content}, '反馈内容', '... content');
is($f->{feedback_status}, 0, '... status 0 (new)');
is($f->{feedback_category_id}, $c->{id}, '... category');
is($f->{contact_phone}, '18656660930', '... phone');
is($f->{user_id}, $u->{id}, '... the caller');
is($t->db_value('SELECT content FROM feedback WHERE id = ?', $f->{id}),
    '反馈内容', '... stored');

{
    my ($st, $h, $d) = $t->post('/api/feedback',
        'feedback_content=%E8%A1%A8%E5%8D%95&contact_phone=',
        { -token => $u->{token},
          'Content-Type' => 'application/x-www-form-urlencoded' });
    is($d->{code}, 0, 'a form body: 0');
    is($d->{data}{feedback_content}, '表单', '... decoded');
    is($d->{data}{feedback_category_id}, undef, '... category null');
}
$j = api($u, 'POST', '/api/feedback', { feedback_content => 'null cat',
    feedback_category_id => undef, contact_phone => undef });
is($j->{code}, 0, 'null category and phone: 0 (none)');

my $before = $t->db_value('SELECT count(*) FROM feedback');
for my $case (
    [ 'no content', {} ],
    [ 'empty content', { feedback_content => '' } ],
    [ 'content a number', { feedback_content => 5 } ],
    [ 'content null', { feedback_content => undef } ],
    [ 'content too long', { feedback_content => 'x' x 2001 } ],
    [ 'unknown category', { feedback_content => 'x',
        feedback_category_id => 999999 } ],
    [ 'category 0', { feedback_content => 'x', feedback_category_id => 0 } ],
    [ 'category a word', { feedback_content => 'x',
        feedback_category_id => 'app' } ],
    [ 'bad phone', { feedback_content => 'x', contact_phone => 'call me' } ],
    [ 'phone too long', { feedback_content => 'x',
        contact_phone => '1' x 33 } ],
    [ 'JSON not an object', [ 1, 2 ] ],
    [ 'malformed JSON', '{"feedback_content":' ],
)
{
    $j = api($u, 'POST', '/api/feedback', $case->[1]);
    is($j->{http}, 200, "$case->[0]: HTTP 200");
    is($j->{code}, 10005, "... 10005");
}
is($t->db_value('SELECT count(*) FROM feedback'), $before,
    '... nothing stored');
is(api($u, 'POST', '/api/feedback', { feedback_content => 'x' x 2000 })
    ->{code}, 0, '2000 characters: 0');
is(api($u, 'POST', '/api/feedback', { feedback_content => '字' x 2000 })
    ->{code}, 0, '2000 Chinese characters (code points): 0');

$j = api(undef, 'POST', '/api/feedback', { feedback_content => 'x' });
is($j->{code}, 10004, 'no token: 10004');

# ---- list --------------------------------------------------------------------------

$j = api($u, 'GET', '/api/feedback');
is($j->{code}, 0, 'GET /api/feedback: 0');
is($j->{data}{total}, 5, '... total 5');
is($j->{data}{data}[-1]{id}, $f->{id}, '... newest first');
$j = api($u, 'GET', '/api/feedback?page_no=2&page_size=2');
is(scalar(@{ $j->{data}{data} }), 2, '... page 2 of size 2');
is($j->{data}{pages}, 3, '... 3 pages');
$j = api($u, 'GET', '/api/feedback?page_size=101');
is($j->{data}{page_size}, 100, '... page_size 101 clamped to 100');
for my $q ('page_no=0', 'page_no=-3', 'page_size=x') {
    is(api($u, 'GET', "/api/feedback?$q")->{code}, 10005, "?$q: 10005");
}

# ---- replies and the unread count ---------------------------------------------------

$j = api($u, 'GET', "/api/feedback/reply/$f->{id}");
is($j->{code}, 10001, 'no reply yet: 10001');
is(api($u, 'GET', '/api/message/count')->{data}{feedback_count}, 0,
    'feedback_count 0');

ctl_ok('feedback', 'reply', $f->{id}, '第一次回复');
ctl_ok('feedback', 'reply', $f->{id}, '回复内容');
is(api($u, 'GET', '/api/message/count')->{data}{feedback_count}, 2,
    'two replies: feedback_count 2');
$j = api($u, 'GET', '/api/feedback');
is($j->{data}{data}[-1]{feedback_status}, 1, '... status 1 (replied)');

$j = api($u, 'GET', "/api/feedback/reply/$f->{id}");
is($j->{code}, 0, 'GET /api/feedback/reply/{id}: 0');
is_deeply([ sort keys %{ $j->{data} } ], [ sort qw(id app_id created_at
    updated_at reply_content manager_id feedback_id is_read) ],
    '... the seed\'s fields');
is($j->{data}{reply_content}, '回复内容', '... the latest reply');
is($j->{data}{manager_id}, $m->{id}, '... manager_id');
is($j->{data}{feedback_id}, $f->{id}, '... feedback_id');
ok(JSON::PP::is_bool($j->{data}{is_read}) && !$j->{data}{is_read},
    '... is_read false (as it was)');
is(api($u, 'GET', '/api/message/count')->{data}{feedback_count}, 0,
    '... and now all its replies are read');
$j = api($u, 'GET', "/api/feedback/reply/$f->{id}");
ok($j->{data}{is_read}, 'a second fetch: is_read true');

ctl_ok('feedback', 'reply', $f->{id}, 'third');
is(api($u, 'GET', '/api/message/count')->{data}{feedback_count}, 1,
    'a new reply: feedback_count 1');

for my $id (999999, 0, 'abc') {
    is(api($u, 'GET', "/api/feedback/reply/$id")->{code}, 10001,
        "reply of $id: 10001");
}

# ---- delete ---------------------------------------------------------------------------

$j = api($u, 'DELETE', "/api/feedback/$f->{id}");
is($j->{code}, 0, 'DELETE /api/feedback/{id}: 0');
is_deeply($j->{data}, {}, '... data {}');
is($t->db_value('SELECT count(*) FROM feedback_reply WHERE feedback_id = ?',
    $f->{id}), 0, '... its replies gone');
is(api($u, 'GET', '/api/message/count')->{data}{feedback_count}, 0,
    '... and no longer counted');
is(api($u, 'GET', "/api/feedback/reply/$f->{id}")->{code}, 10001,
    '... its reply 10001');
is(api($u, 'DELETE', "/api/feedback/$f->{id}")->{code}, 10001,
    'deleting it again: 10001');
is(api($u, 'GET', '/api/feedback')->{data}{total}, 4, 'the list: 4 left');
for my $id (0, 'abc', 999999) {
    is(api($u, 'DELETE', "/api/feedback/$id")->{code}, 10001,
        "DELETE /api/feedback/$id: 10001");
}

{
    my ($st, $h, $d) = $t->request('PUT', '/api/feedback', '{}',
        { -token => $u->{token} });
    is($st, 405, 'PUT /api/feedback: 405');
    is($d->{code}, 10002, '... 10002');
}

$t->stop;
done_testing;

#!/usr/bin/perl

# 30-admin-feedback.t: the console's feedback inbox (modules/
# feedback/admin.c, featcgi-api(7) "ADMIN API"): the list (open first, the
# oldest of them on top; status filter; paging), one feedback with its
# replies and its user, a manager's reply that the user then reads
# through v2 and v1 as any reply, the close, the refusals (bad input,
# a closed feedback, another app's feedback: 404) with nothing stored,
# and each action's audit row.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatAdminContent qw(adm);
use FeatTest;
use FeatV1Content;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
is(($t->featctl('app', 'add', 'shop'))[0], 0, 'featctl app add shop');

sub api { return FeatAdmin::api($t, @_) }
sub v1 { return FeatV1Content::v1($t, @_) }

my $u = FeatV1Content::user($t, '13500000001');
my $v = FeatAdmin::user($t, '13500000002');
my $s = FeatAdmin::user($t, '13500000003', 'shop');

my $ma = FeatAdminContent::manager($t, 'desk', app => '');
my $mb = FeatAdminContent::manager($t, 'shopdesk', app => 'shop');

my ($st, $j, @f);
for my $i (1 .. 3) {
    $j = api($u, 'POST', '/api/feedback', { feedback_content => "问题 $i",
        contact_phone => '13900000000' });
    push @f, $j->{data}{id};
}
$j = api($v, 'POST', '/api/feedback', { feedback_content => 'from v' });
push @f, $j->{data}{id};
$j = api($s, 'POST', '/api/feedback', { feedback_content => 'shop one' });
my $shopf = $j->{data}{id};

# ---- the list ------------------------------------------------------------

($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/feedback');
is($st, 200, 'GET feedback: 200');
is($j->{total}, 4, '... the four open of app ""');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ @f ],
    '... open ones oldest first');
is_deeply([ sort keys %{ $j->{data}[0] } ], [ sort qw(id user_id title
    content category category_id contact_phone status created_at
    updated_at replies) ], '... the item\'s fields');
is($j->{data}[0]{status}, 'open', '... status open');
is($j->{data}[0]{replies}, 0, '... no replies');
is($j->{data}[0]{user_id}, $u->{id}, '... user_id');
is($j->{data}[0]{contact_phone}, '13900000000', '... contact_phone');
like($j->{data}[0]{created_at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/,
    '... created_at in ISO 8601 with its offset');
is($j->{page}, 1, '... page 1');
is($j->{size}, 20, '... size 20');

($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/feedback?page=2&size=3');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $f[3] ],
    'page 2 of 3: the fourth');
is($j->{total}, 4, '... with the total');

for my $q ('status=new', 'status=', 'page=0', 'size=0', 'size=x') {
    ($st, $j) = adm($ma, 'GET', "/admin/api/apps/~/feedback?$q");
    is($st, 400, "?$q: 400");
    is($j->{error}{code}, 'bad_field', '... bad_field');
}
($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/feedback?status=new');
is($j->{error}{field}, 'status', '... naming status');
($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/feedback?size=101');
is($st, 200, '?size=101: 200');
is($j->{size}, 100, '... clamped to 100, as every paged list');

# ---- one feedback --------------------------------------------------------

($st, $j) = adm($ma, 'GET', "/admin/api/apps/~/feedback/$f[0]");
is($st, 200, 'GET feedback/{id}: 200');
is($j->{data}{content}, '问题 1', '... its content');
is_deeply($j->{data}{replies}, [], '... no replies yet');
is($j->{data}{user}{id}, $u->{id}, '... its user');
is($j->{data}{user}{phone}, '13500000001', '... with the phone');

for my $id (999999, 0, 'x', $shopf) {
    ($st, $j) = adm($ma, 'GET', "/admin/api/apps/~/feedback/$id");
    is($st, 404, "feedback $id: 404");
    is($j->{error}{code}, 'not_found', '... not_found');
}
($st, $j) = adm($ma, 'GET', "/admin/api/apps/shop/feedback/$shopf");
is($st, 404, 'app A\'s manager asks for app B\'s feedback by B: 404');
($st, $j) = adm($mb, 'GET', "/admin/api/apps/shop/feedback/$shopf");
is($st, 200, '... which B\'s manager reads');
($st, $j) = adm($mb, 'GET', "/admin/api/apps/~/feedback/$f[0]");
is($st, 404, 'and B\'s manager gets 404 for A\'s');
($st, $j) = adm($mb, 'POST', "/admin/api/apps/~/feedback/$f[0]/replies",
    { content => 'cross' });
is($st, 404, '... also for a reply');
($st, $j) = adm($mb, 'POST', "/admin/api/apps/~/feedback/$f[0]/close");
is($st, 404, '... and a close');
is($t->db_value('SELECT count(*) FROM feedback_reply'), 0,
    '... nothing stored');
is($t->db_value('SELECT status FROM feedback WHERE id = ?', $f[0]), 0,
    '... the feedback still new');

# ---- a reply -------------------------------------------------------------

my $audit0 = $t->db_value('SELECT count(*) FROM audit');
for my $case ([ {}, 'no content' ], [ { content => '' }, 'empty' ],
    [ { content => 'x' x 2001 }, '2001 characters' ],
    [ { content => 5 }, 'a number' ], [ { content => undef }, 'null' ])
{
    ($st, $j) = adm($ma, 'POST', "/admin/api/apps/~/feedback/$f[0]/replies",
        $case->[0]);
    is($st, 400, "a reply with $case->[1]: 400");
    is($j->{error}{field}, 'content', '... naming content');
}
is($t->db_value('SELECT count(*) FROM feedback_reply'), 0,
    '... no reply stored');
is($t->db_value('SELECT count(*) FROM audit'), $audit0, '... nor audited');

($st, $j) = adm($ma, 'POST', "/admin/api/apps/~/feedback/$f[0]/replies",
    { content => '已收到, 正在处理' });
is($st, 201, 'POST feedback/{id}/replies: 201');
my $reply = $j->{data};
is($reply->{content}, '已收到, 正在处理', '... the reply');
is($reply->{manager}{id}, $ma->{id}, '... by the manager');
is($reply->{manager}{name}, 'desk', '... with its name');
ok(JSON::PP::is_bool($reply->{is_read}) && !$reply->{is_read},
    '... unread');
my $row = $t->db_row('SELECT * FROM feedback_reply WHERE id = ?',
    $reply->{id});
is($row->{manager_id}, $ma->{id}, 'stored: under the manager');
is($row->{feedback_id}, $f[0], '... for the feedback');
is($row->{app_id}, '', '... in app ""');
is($t->db_value('SELECT status FROM feedback WHERE id = ?', $f[0]), 1,
    '... the feedback replied');
my $au = $t->db_row('SELECT * FROM audit WHERE action = ?',
    'admin.feedback.reply');
ok($au, 'audited: admin.feedback.reply');
is($au->{user_id}, $u->{id}, '... about the user who wrote it');
is($au->{actor}, "manager:$ma->{id}", '... by the manager');
like($au->{detail}, qr/"feedback":$f[0]\b/, '... naming the feedback');
like($au->{detail}, qr/"reply":$reply->{id}\b/, '... and the reply');

# the user sees it as any reply: v2 ...
is(api($u, 'GET', '/api/message/count')->{data}{feedback_count}, 1,
    'v2 message/count: one unread reply');
$j = api($u, 'GET', "/api/feedback/reply/$f[0]");
is($j->{code}, 0, 'v2 GET /api/feedback/reply/{id}: 0');
is($j->{data}{reply_content}, '已收到, 正在处理', '... the console\'s reply');
is($j->{data}{manager_id}, $ma->{id}, '... its manager');
ok(!$j->{data}{is_read}, '... unread until now');
$j = api($u, 'GET', '/api/feedback');
my ($item) = grep { $_->{id} == $f[0] } @{ $j->{data}{data} };
is($item->{feedback_status}, 1, 'v2 list: the feedback replied');

# ... and v1
$j = v1($u, 'GET', '/api/user/feedback_reply');
is($j->{code}, 0, 'v1 feedback_reply: 0');
is($j->{message}[0]{reply_content}, '已收到, 正在处理',
    '... the console\'s reply');
is($j->{message}[0]{feedback_id}, $f[0], '... of the feedback');

($st, $j) = adm($ma, 'GET', "/admin/api/apps/~/feedback/$f[0]");
is(scalar @{ $j->{data}{replies} }, 1, 'the page shows the reply');
ok($j->{data}{replies}[0]{is_read}, '... read by now');
is($j->{data}{status}, 'replied', '... status replied');

($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/feedback');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ @f[1 .. 3] ],
    'the open list: the replied one left it');
($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/feedback?status=replied');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $f[0] ],
    'status=replied: it');
is($j->{data}[0]{replies}, 1, '... one reply');
($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/feedback?status=all');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ @f[1 .. 3], $f[0] ],
    'status=all: the open first, then the rest');

# ---- close ---------------------------------------------------------------

($st, $j) = adm($ma, 'POST', "/admin/api/apps/~/feedback/$f[1]/close");
is($st, 200, 'POST feedback/{id}/close: 200');
is($j->{data}{status}, 'closed', '... the item, closed');
is($t->db_value('SELECT status FROM feedback WHERE id = ?', $f[1]), 2,
    '... stored closed');
$au = $t->db_row('SELECT * FROM audit WHERE action = ?',
    'admin.feedback.close');
ok($au, 'audited: admin.feedback.close');
like($au->{detail}, qr/"feedback":$f[1]\b/, '... naming the feedback');
is(api($u, 'GET', '/api/feedback')->{data}{data}[1]{feedback_status}, 2,
    'v2 shows it closed');

$audit0 = $t->db_value('SELECT count(*) FROM audit');
($st, $j) = adm($ma, 'POST', "/admin/api/apps/~/feedback/$f[1]/close");
is($st, 409, 'closing it again: 409');
is($j->{error}{code}, 'wrong_state', '... wrong_state');
($st, $j) = adm($ma, 'POST', "/admin/api/apps/~/feedback/$f[1]/replies",
    { content => 'late' });
is($st, 409, 'a reply to a closed feedback: 409');
is($t->db_value('SELECT count(*) FROM feedback_reply WHERE feedback_id = ?',
    $f[1]), 0, '... nothing stored');
is($t->db_value('SELECT count(*) FROM audit'), $audit0,
    '... nor audited');

($st, $j) = adm($ma, 'POST', "/admin/api/apps/~/feedback/$f[2]/close",
    undef, csrf => 0);
is($st, 403, 'a close without the CSRF token: 403');
is($t->db_value('SELECT status FROM feedback WHERE id = ?', $f[2]), 0,
    '... the feedback untouched');

# ---- a manager of every app ----------------------------------------------

my $all = FeatAdminContent::manager($t, 'chief', all_apps => 1);
($st, $j) = adm($all, 'POST', "/admin/api/apps/shop/feedback/$shopf/replies",
    { content => 'from the chief' });
is($st, 201, 'a manager of every app replies in shop: 201');
is($j->{data}{manager}{id}, $all->{id}, '... as itself');
is($t->db_value('SELECT app_id FROM feedback_reply WHERE id = ?',
    $j->{data}{id}), 'shop', '... stored in shop');
is(api($s, 'GET', "/api/feedback/reply/$shopf")->{data}{reply_content},
    'from the chief', '... and the shop user reads it');
$au = FeatAdminContent::audit($t, 'admin.feedback.reply');
is($au->{app_id}, 'shop', '... audited in shop');
is($au->{actor}, "manager:$all->{id}", '... by it');

done_testing;

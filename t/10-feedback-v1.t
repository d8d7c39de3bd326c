#!/usr/bin/perl

# t/10-feedback-v1.t: v1 feedback through nginx (seeds/003): POST, GET,
# PUT, DELETE /api/user/feedback[/{pk}] and GET /api/user/feedback_reply
# in its array and paged forms.  The rows are v2's: a v2 feedback shows
# feedback_title "" and its contact_phone as feedback_phone.  Owner only
# (another user's pk: 10008), field errors 10012 with nothing stored, the
# reply's is_read before and after, the seed's time forms, v1's
# feedback_status (0 new, 2 replied, 3 closed).  Also: a v1
# password login opens no session, and keeps the lockout.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatTest;
use FeatV1Content;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my $j;

sub v1 { return FeatV1Content::v1($t, @_) }

my $sessions0 = $t->db_value('SELECT COUNT(*) FROM sessions');
my $a = FeatV1Content::user($t, '13500000001');
my $b = FeatV1Content::user($t, '13500000002');
is($t->db_value('SELECT COUNT(*) FROM sessions'), $sessions0 + 2,
    'v1 password logins open no session (only the two v2 sign-ups did)');

my $iso = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;
my $plain = qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

# ---- create ------------------------------------------------------------------------

$j = v1($a, 'POST', '/api/user/feedback', { feedback_title => '标题',
    feedback_content => '描述', feedback_phone => '15618927901' });
is($j->{code}, 0, 'POST /api/user/feedback: 0');
my $f = $j->{message};
is_deeply([ sort keys %$f ], [ sort qw(feedback_id user_id feedback_title
    feedback_content feedback_phone feedback_status created_at updated_at) ],
    '... the feedback object');
is($f->{feedback_title}, '标题', '... title');
is($f->{feedback_content}, '描述', '... content');
is($f->{feedback_phone}, '15618927901', '... phone');
is($f->{feedback_status}, 0, '... status 0');
is($f->{user_id}, $a->{id}, '... the caller');
like($f->{created_at}, $iso, '... v1 time form');
is_deeply($t->db_row('SELECT title, content, contact_phone, user_id'
    . ' FROM feedback WHERE id = ?', $f->{feedback_id}),
    { title => '标题', content => '描述', contact_phone => '15618927901',
      user_id => $a->{id} }, '... stored in the v2 row');

{
    my ($st, undef, $d) = v1($a, 'POST', '/api/user/feedback',
        'feedback_title=%E8%A1%A8&feedback_content=form',
        { 'Content-Type' => 'application/x-www-form-urlencoded' });
    is($d->{code}, 0, 'a form body: 0');
    is($d->{message}{feedback_title}, '表', '... decoded');
    is($d->{message}{feedback_phone}, '', '... no phone: ""');
}

my $before = $t->db_value('SELECT COUNT(*) FROM feedback');
for my $case (
    [ 'no title', { feedback_content => 'c' } ],
    [ 'empty title', { feedback_title => '', feedback_content => 'c' } ],
    [ 'no content', { feedback_title => 't' } ],
    [ 'content a number', { feedback_title => 't', feedback_content => 5 } ],
    [ 'title null', { feedback_title => undef, feedback_content => 'c' } ],
    [ 'title too long', { feedback_title => 'x' x 101,
        feedback_content => 'c' } ],
    [ 'content too long', { feedback_title => 't',
        feedback_content => 'x' x 2001 } ],
    [ 'bad phone', { feedback_title => 't', feedback_content => 'c',
        feedback_phone => 'call me' } ],
) {
    $j = v1($a, 'POST', '/api/user/feedback', $case->[1]);
    is($j->{code}, 10012, "$case->[0]: 10012");
}
$j = v1($a, 'POST', '/api/user/feedback', '{"feedback_title":');
is($j->{code}, 10012, 'malformed JSON: 10012');
is($t->db_value('SELECT COUNT(*) FROM feedback'), $before,
    '... nothing stored by the refusals');

$j = v1(undef, 'POST', '/api/user/feedback', { feedback_title => 't',
    feedback_content => 'c' });
is($j->{code}, 10021, 'no token: 10021');
$j = v1(undef, 'GET', '/api/user/feedback', undef,
    { Authorization => 'not.a.jwt' });
is($j->{code}, 10001, 'a bad token: 10001');
$j = v1(undef, 'GET', '/api/user/feedback', undef,
    { Authorization => "Token $a->{token}" });
is($j->{code}, 10001, 'a v2 session token: 10001');

# ---- read, list, edit --------------------------------------------------------------

$j = v1($a, 'GET', "/api/user/feedback/$f->{feedback_id}");
is($j->{code}, 0, 'GET /api/user/feedback/{pk}: 0');
is_deeply($j->{message}, $f, '... the object as created');
$j = v1($a, 'GET', '/api/user/feedback/999999');
is($j->{code}, 10008, 'an unknown pk: 10008');
$j = v1($a, 'GET', '/api/user/feedback/abc');
is($j->{code}, 10008, 'a pk that is no id: 10008');

# v2 feedback of the same user: title "", contact_phone as feedback_phone
$j = FeatAdmin::api($t, $a, 'POST', '/api/feedback',
    { feedback_content => 'from v2', contact_phone => '13900000000' });
my $v2id = $j->{data}{id};
$j = v1($a, 'GET', "/api/user/feedback/$v2id");
is($j->{message}{feedback_title}, '', 'a v2 feedback: title ""');
is($j->{message}{feedback_phone}, '13900000000', '... phone = contact_phone');

$j = v1($a, 'GET', '/api/user/feedback');
is($j->{code}, 0, 'GET /api/user/feedback: 0');
is_deeply([ sort keys %{ $j->{message} } ],
    [ qw(current_page data page_size pages total) ], '... the seed\'s page');
is($j->{message}{total}, 3, '... three of A');
is($j->{message}{page_size}, 20, '... page size 20');
is($j->{message}{data}[0]{feedback_id}, $v2id, '... newest first');
$j = v1($a, 'GET', '/api/user/feedback?page=2');
is_deeply($j->{message}{data}, [], 'page 2: empty');
is($j->{message}{total}, 3, '... with the true total');
is($j->{message}{current_page}, 2, '... current_page 2');
$j = v1($a, 'GET', '/api/user/feedback?page=0');
is($j->{code}, 10012, 'page=0: 10012');
$j = v1($a, 'GET', '/api/user/feedback?page=x');
is($j->{code}, 10012, 'page=x: 10012');
$j = v1($b, 'GET', '/api/user/feedback');
is($j->{message}{total}, 0, 'B lists none of A\'s');

sleep(1);
$j = v1($a, 'PUT', "/api/user/feedback/$f->{feedback_id}",
    { feedback_title => '新标题' });
is($j->{code}, 0, 'PUT /api/user/feedback/{pk}: 0');
is($j->{message}{feedback_title}, '新标题', '... title changed');
is($j->{message}{feedback_content}, '描述', '... content kept');
is($j->{message}{feedback_phone}, '15618927901', '... phone kept');
isnt($j->{message}{updated_at}, $f->{updated_at}, '... updated_at moved');
$j = v1($a, 'PUT', "/api/user/feedback/$f->{feedback_id}",
    { feedback_content => '新描述', feedback_phone => '' });
is($j->{message}{feedback_content}, '新描述', '... content changed');
is($j->{message}{feedback_phone}, '', '... phone cleared');
$j = v1($a, 'PUT', "/api/user/feedback/$f->{feedback_id}",
    { feedback_content => '' });
is($j->{code}, 10012, 'PUT with empty content: 10012');
$j = v1($a, 'PUT', "/api/user/feedback/$f->{feedback_id}",
    { feedback_title => 'x' x 101 });
is($j->{code}, 10012, 'PUT with a long title: 10012');
is($t->db_value('SELECT content FROM feedback WHERE id = ?',
    $f->{feedback_id}), '新描述', '... unchanged by the refusals');

# ---- owner only --------------------------------------------------------------------

$j = v1($b, 'GET', "/api/user/feedback/$f->{feedback_id}");
is($j->{code}, 10008, 'B reads A\'s feedback: 10008');
ok(!exists $j->{message} || !ref $j->{message}, '... and sees nothing of it');
$j = v1($b, 'PUT', "/api/user/feedback/$f->{feedback_id}",
    { feedback_title => 'mine' });
is($j->{code}, 10008, 'B edits A\'s feedback: 10008');
$j = v1($b, 'DELETE', "/api/user/feedback/$f->{feedback_id}");
is($j->{code}, 10008, 'B deletes A\'s feedback: 10008');
is($t->db_value('SELECT title FROM feedback WHERE id = ?',
    $f->{feedback_id}), '新标题', '... A\'s row untouched');

# ---- replies -----------------------------------------------------------------------

$j = v1($a, 'GET', '/api/user/feedback_reply');
is($j->{code}, 0, 'feedback_reply with no replies: 0');
is_deeply($j->{message}, [], '... an empty array');

my $m = FeatAdmin::ctl_ok($t, 'manager', 'add', 'desk');
FeatAdmin::ctl_ok($t, 'feedback', 'reply', $f->{feedback_id}, '第一次回复');
FeatAdmin::ctl_ok($t, 'feedback', 'reply', $v2id, 'cccc222');

$j = v1($a, 'GET', '/api/user/feedback_reply');
is($j->{code}, 0, 'feedback_reply (array form): 0');
is(ref $j->{message}, 'ARRAY', '... an array');
is(scalar @{ $j->{message} }, 2, '... two replies');
my $r = $j->{message}[0];
is_deeply([ sort keys %$r ], [ sort qw(is_read feedback_phone feedback_title
    created_at feedback_id updated_at reply_id feedback_status reply_time
    user_id reply_content feedback_content) ], '... the seed\'s fields');
is($r->{reply_content}, 'cccc222', '... newest reply first');
is($r->{feedback_id}, $v2id, '... with its feedback');
is($r->{feedback_phone}, '13900000000', '... feedback_phone');
is($r->{feedback_status}, 2, '... feedback replied: 2, as the seed shows');
is($t->db_value('SELECT status FROM feedback WHERE id = ?', $v2id), 1,
    '... stored as v2\'s 1 (v2 answers 1)');
is($r->{is_read}, 0, '... unread before this request');
like($r->{created_at}, $plain, '... created_at without T');
like($r->{reply_time}, $plain, '... reply_time without T');
like($r->{updated_at}, $iso, '... updated_at in the v1 form');
is($t->db_value('SELECT COUNT(*) FROM feedback_reply WHERE is_read = 0'), 0,
    '... and now read');
$j = v1($a, 'GET', '/api/user/feedback_reply');
is($j->{message}[0]{is_read}, 1, 'a second fetch: is_read 1');

FeatAdmin::ctl_ok($t, 'feedback', 'reply', $f->{feedback_id}, '第二次');
$j = v1($a, 'GET', '/api/user/feedback_reply?page=1');
is($j->{code}, 0, 'feedback_reply?page=1 (paged form): 0');
is_deeply([ sort keys %{ $j->{message} } ],
    [ qw(current_page data page_size pages total) ], '... the seed\'s page');
is($j->{message}{total}, 3, '... total 3');
is($j->{message}{data}[0]{reply_content}, '第二次', '... newest first');
is($j->{message}{data}[0]{is_read}, 0, '... unread before');
$j = v1($a, 'GET', '/api/user/feedback_reply?page=0');
is($j->{code}, 10012, 'feedback_reply?page=0: 10012');
$j = v1($b, 'GET', '/api/user/feedback_reply');
is_deeply($j->{message}, [], 'B sees none of A\'s replies');

# v1's feedback_status: 0 new, 2 replied, 3 closed (issue 12)
$j = v1($a, 'GET', "/api/user/feedback/$f->{feedback_id}");
is($j->{message}{feedback_status}, 2, 'a replied feedback: status 2');
FeatAdmin::ctl_ok($t, 'feedback', 'close', $f->{feedback_id});
$j = v1($a, 'GET', "/api/user/feedback/$f->{feedback_id}");
is($j->{message}{feedback_status}, 3, 'a closed feedback: status 3');
is($t->db_value('SELECT status FROM feedback WHERE id = ?',
    $f->{feedback_id}), 2, '... stored as v2\'s closed, 2');

# ---- delete ------------------------------------------------------------------------

$j = v1($a, 'DELETE', "/api/user/feedback/$f->{feedback_id}");
is($j->{code}, 0, 'DELETE /api/user/feedback/{pk}: 0');
is($j->{message}, 'success', '... message "success"');
is($t->db_value('SELECT COUNT(*) FROM feedback_reply WHERE feedback_id = ?',
    $f->{feedback_id}), 0, '... its replies gone');
$j = v1($a, 'DELETE', "/api/user/feedback/$f->{feedback_id}");
is($j->{code}, 10008, 'deleting it again: 10008');

# ---- the v1 password login: no session, same lockout -------------------------------

my $n = $t->db_value('SELECT COUNT(*) FROM sessions');
for (1 .. 5) {
    $j = v1(undef, 'GET', '/api/get_token?account=13500000002&password=wrong-pw-1');
}
is($j->{code}, 10003, 'wrong passwords: 10003');
$j = v1(undef, 'GET', '/api/get_token?account=13500000002&password=secret-pw-1');
is($j->{code}, 10009, 'then the right one: locked, 10009');
$j = v1(undef, 'GET', '/api/get_token?account=13500000001&password=secret-pw-1');
is($j->{code}, 0, 'another account logs in');
is($t->db_value('SELECT COUNT(*) FROM sessions'), $n,
    '... and no session was opened by any of it');

$t->stop;
done_testing;

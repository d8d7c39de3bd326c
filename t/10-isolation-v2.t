#!/usr/bin/perl

# t/10-isolation-v2.t: the v2 ownership rules.  Each object is visible
# only to its owner in its app: user B of the same app and user C of
# another app get 10001 for A's feedback, reply, push client and push log
# entries, and nothing of A's shows in their lists or counts.  Paging
# bounds on every list answer a field error or a clamp, never a crash.
# message/count agrees with what the lists show after replies, reads,
# pushes and a log delete; a scope-1 push reaches only the users listed.

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

ctl_ok('app', 'add', 'shop');
my $A = FeatAdmin::user($t, '13300000001');
my $B = FeatAdmin::user($t, '13300000002');
my $C = FeatAdmin::user($t, '13300000003', 'shop');
my $m = ctl_ok('manager', 'add', 'desk');
my $ms = ctl_ok('manager', 'add', 'shop desk', '--app', 'shop');

# ---- A's objects ------------------------------------------------------------------

my $fa = api($A, 'POST', '/api/feedback', { feedback_content => 'A private',
    contact_phone => '13300000001' })->{data};
ok($fa->{id}, 'A filed a feedback');
ctl_ok('feedback', 'reply', $fa->{id}, 'to A');
is(api($A, 'POST', '/api/push/bind', { client_id => 'A-device',
    client_type => 'ios' })->{code}, 0, 'A bound a device');
my $pa = ctl_ok('push', 'send', '--title', 'A only', '--body', 'secret',
    '--user', $A->{id});
my $pall = ctl_ok('push', 'send', '--title', 'all of ""', '--body', 'b',
    '--all');

# ---- B (same app) and C (other app) get 10001 for each ----------------------------

for my $who ([ 'B', $B ], [ 'C', $C ]) {
    my ($n, $x) = @$who;

    $j = api($x, 'GET', "/api/feedback/reply/$fa->{id}");
    is($j->{code}, 10001, "$n reads A's reply: 10001");
    is_deeply($j->{data}, {}, '... no content');
    is(api($x, 'DELETE', "/api/feedback/$fa->{id}")->{code}, 10001,
        "$n deletes A's feedback: 10001");
    is(api($x, 'GET', '/api/push/switch/A-device')->{code}, 10001,
        "$n reads A's device switch: 10001");
    is(api($x, 'PUT', '/api/push/switch/A-device',
        { switch => JSON::PP::false })->{code}, 10001,
        "$n turns A's device off: 10001");
    $j = api($x, 'GET', "/api/push/log/$pa->{id}");
    is($j->{code}, 10001, "$n reads A's listed push: 10001");
    is_deeply($j->{data}, {}, '... no content');

    $j = api($x, 'GET', '/api/feedback');
    is($j->{data}{total}, 0, "${n}'s feedback list: empty");
    $j = api($x, 'GET', '/api/message/count');
    is($j->{data}{feedback_count}, 0, "${n}'s feedback_count: 0");
}
is(api($C, 'GET', "/api/push/log/$pall->{id}")->{code}, 10001,
    'C reads a push to all of "": 10001');
is(api($C, 'GET', '/api/push/log')->{data}{total}, 0, 'C\'s log: empty');
is(api($C, 'GET', '/api/message/count')->{data}{push_count}, 0,
    'C\'s push_count: 0');
$j = api($B, 'GET', '/api/push/log');
is_deeply(FeatAdmin::ids($j), [ $pall->{id} ],
    'B\'s log: the push to all, not A\'s');
is(api($B, 'GET', '/api/message/count')->{data}{push_count}, 1,
    'B\'s push_count: 1');

# A's objects are untouched by all that
is($t->db_value('SELECT count(*) FROM feedback WHERE id = ?', $fa->{id}), 1,
    'A\'s feedback still there');
is($t->db_value(q{SELECT switch FROM push_client WHERE client_id =
    'A-device'}), 1, 'A\'s device still on');
is(api($A, 'GET', '/api/message/count')->{data}{feedback_count}, 1,
    'A\'s reply still unread');
is(api($A, 'GET', '/api/push/switch/A-device')->{code}, 0,
    'A reads its own switch');

# an id path of the same shape in the other app: a shop feedback for A
my $fc = api($C, 'POST', '/api/feedback', { feedback_content => 'C' })->{data};
ctl_ok('feedback', 'reply', $fc->{id}, 'to C', '--app', 'shop');
is(api($A, 'GET', "/api/feedback/reply/$fc->{id}")->{code}, 10001,
    'A reads C\'s (shop) reply: 10001');
is(api($A, 'GET', '/api/message/count')->{data}{feedback_count}, 1,
    'C\'s unread reply is not in A\'s count');
is(api({ %$A, app => 'shop' }, 'GET', '/api/feedback')->{code}, 10004,
    'A\'s token through shop\'s server: 10004');

# ---- counts follow the lists -------------------------------------------------------

sub counts_match {
    my ($u, $name) = @_;
    my $log = api($u, 'GET', '/api/push/log?page_size=100');
    my $cnt = api($u, 'GET', '/api/message/count');
    my $ids = join(',', @{ FeatAdmin::ids($log) });

    is($cnt->{data}{push_count}, $log->{data}{total},
        "$name: push_count = the log's total ($log->{data}{total})");
    is(api($u, 'GET', "/api/message/count?push_ids=$ids")->{data}{push_count},
        0, "$name: reading every id in the log leaves 0");
}

counts_match($A, 'A at first');
counts_match($B, 'B at first');
my $pb = ctl_ok('push', 'send', '--title', 'A and B', '--body', 'b',
    '--user', "$A->{id},$B->{id}");
counts_match($A, 'A after a push to A and B');
counts_match($B, 'B after a push to A and B');
is(api($A, 'DELETE', '/api/push/log/delete')->{code}, 0, 'A hides its log');
counts_match($A, 'A after hiding');
counts_match($B, 'B after A hid (B unaffected)');
is(api($B, 'GET', '/api/push/log')->{data}{total}, 2, 'B still sees 2');
ctl_ok('push', 'send', '--title', 'only B', '--body', 'b', '--user',
    $B->{id});
counts_match($A, 'A after a push to B');
counts_match($B, 'B after a push to B');
is(api($A, 'GET', '/api/push/log')->{data}{total}, 0,
    'the push to B does not reach A');

# feedback_count: replies not yet fetched, across two feedbacks
my $fa2 = api($A, 'POST', '/api/feedback', { feedback_content => 'A 2' })
    ->{data};
ctl_ok('feedback', 'reply', $fa2->{id}, 'one');
ctl_ok('feedback', 'reply', $fa2->{id}, 'two');
is(api($A, 'GET', '/api/message/count')->{data}{feedback_count}, 3,
    'A: 1 + 2 unread replies');
ok(!api($A, 'GET', "/api/feedback/reply/$fa2->{id}")->{data}{is_read},
    'A reads feedback 2 (unread)');
is(api($A, 'GET', '/api/message/count')->{data}{feedback_count}, 1,
    '... feedback_count 1');
ok(!api($A, 'GET', "/api/feedback/reply/$fa->{id}")->{data}{is_read},
    'A reads feedback 1 (unread)');
is(api($A, 'GET', '/api/message/count')->{data}{feedback_count}, 0,
    '... feedback_count 0');
ctl_ok('feedback', 'reply', $fa->{id}, 'more');
is(api($A, 'DELETE', "/api/feedback/$fa->{id}")->{code}, 0,
    'A deletes feedback 1 with an unread reply');
is(api($A, 'GET', '/api/message/count')->{data}{feedback_count}, 0,
    '... which no longer counts');
is(api($A, 'GET', '/api/feedback')->{data}{total}, 1, '... one feedback left');

# ---- paging bounds on every list -------------------------------------------------------

for my $path ('/api/faq', '/api/feedback', '/api/feedback_category',
    '/api/push/log')
{
    for my $q ('page_no=0', 'page_no=-1', 'page_size=0', 'page_size=-1',
        'page_no=x', 'page_size=1e3', 'page_no=99999999999999999999')
    {
        $j = api($A, 'GET', "$path?$q");
        is("$j->{http} $j->{code}", '200 10005', "$path?$q: field error");
    }
    $j = api($A, 'GET', "$path?page_size=1000000");
    is("$j->{http} $j->{code} $j->{data}{page_size}", '200 0 100',
        "$path?page_size=1000000: clamped to 100");
    $j = api($A, 'GET', "$path?page_no=999999999999999&page_size=100");
    is("$j->{http} $j->{code}", '200 0', "$path at the largest page: 0");
    is_deeply($j->{data}{data}, [], '... empty');
    $j = api($A, 'GET', "$path?page_no=9223372036854775807");
    is("$j->{http} $j->{code}", '200 10005',
        "$path past the largest exact JSON page: field error");
}

# ---- the server is still sound ------------------------------------------------------------

is(api($A, 'GET', '/api/faq')->{code}, 0, 'still answering');

$t->stop;
done_testing;

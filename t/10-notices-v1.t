#!/usr/bin/perl

# t/10-notices-v1.t: activity notices.  featctl notice add/edit/list/rm
# write them; v1 reads them through nginx: GET /api/user/notice (the
# seed's bare paged object), GET /api/user/notice/{pk} (marks it read for
# the caller only) and GET /api/user/notice/summary (newest notice, newest
# reply to the caller's feedback, unread counts).  Also each error code,
# and an app seeing its own notices only.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatTest;
use FeatV1Content;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my ($rc, $d, $err, $j);

sub v1 { return FeatV1Content::v1($t, @_) }
sub ctl_ok { return FeatAdmin::ctl_ok($t, @_) }

FeatAdmin::ctl_ok($t, 'app', 'add', 'shop');
my $a = FeatV1Content::user($t, '13700000001');
my $b = FeatV1Content::user($t, '13700000002');
my $s = FeatV1Content::user($t, '13700000003', 'shop');

my $iso = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

# ---- empty -------------------------------------------------------------------------

$j = v1($a, 'GET', '/api/user/notice/summary');
is($j->{code}, 0, 'summary with nothing: 0');
is_deeply($j->{message}, { content_notice => '', content_notice_time => '',
    content_reply => '', content_reply_time => '', unread_notice => 0,
    unread_reply => 0 }, '... "" and zeros');
$j = v1($a, 'GET', '/api/user/notice');
is_deeply($j, { total => 0, data => [], pages => 0, page_size => 20,
    current_page => 1, http => 200 }, 'list with nothing: the bare object');

# ---- featctl -----------------------------------------------------------------------

my $n1 = ctl_ok('notice', 'add', '--title', 'ttt', '--content', 'cccc');
is($n1->{number}, sprintf('%08d', $n1->{id}), 'notice add: number padded');
is($n1->{thumbnail}, '', '... no thumbnail');
my $n2 = ctl_ok('notice', 'add', '--title', 'ttt222', '--content', 'cccc2222',
    '--thumbnail', 'https://img.example.com/n2.png');
my $ns = ctl_ok('notice', 'add', '--title', 'shop', '--app', 'shop');
($rc, $d, $err) = FeatAdmin::ctl($t, 'notice', 'add', '--content', 'x');
is($rc, 1, 'notice add without --title: exit 1');
($rc, $d, $err) = FeatAdmin::ctl($t, 'notice', 'add', '--title', 'x',
    '--thumbnail', 'javascript:alert(1)');
is($rc, 1, 'a thumbnail that is no URL: exit 1');
like($err, qr/thumbnail/, '... naming --thumbnail');
($rc, $d, $err) = FeatAdmin::ctl($t, 'notice', 'add', '--title', 'x' x 201);
is($rc, 1, 'a title too long: exit 1');
($rc, $d, $err) = FeatAdmin::ctl($t, 'notice', 'edit', $n1->{id},
    '--app', 'shop', '--title', 'y');
is($rc, 1, 'editing another app\'s notice: exit 1');
$d = ctl_ok('notice', 'edit', $n1->{id}, '--title', 'ttt-1');
is($d->{title}, 'ttt-1', 'notice edit: title changed');
is($d->{content}, 'cccc', '... content kept');
$d = ctl_ok('notice', 'list');
is_deeply([ map { $_->{id} } @$d ], [ $n1->{id}, $n2->{id} ],
    'notice list: this app\'s, oldest first');
is($t->db_value('SELECT COUNT(*) FROM notices'), 3, '... three rows in all');

# ---- list and read -----------------------------------------------------------------

$j = v1($a, 'GET', '/api/user/notice');
is($j->{http}, 200, 'GET /api/user/notice: 200');
ok(!exists $j->{code} && !exists $j->{message}, '... no v1 envelope');
is($j->{total}, 2, '... total 2');
is_deeply([ sort keys %{ $j->{data}[0] } ],
    [ sort qw(id number title content thumbnail status created_at) ],
    '... the seed\'s notice fields');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $n1->{id}, $n2->{id} ],
    '... oldest first, as the seed lists them');
is($j->{data}[1]{number}, sprintf('%08d', $n2->{id}), '... number');
is($j->{data}[1]{thumbnail}, 'https://img.example.com/n2.png', '... thumbnail');
is($j->{data}[0]{status}, 0, '... unread');
like($j->{data}[0]{created_at}, $iso, '... v1 time form');

$j = v1($a, 'GET', '/api/user/notice/summary');
is($j->{message}{content_notice}, 'cccc2222', 'summary: the newest notice');
like($j->{message}{content_notice_time}, qr/^\d{4}-\d\d-\d\d$/,
    '... its day, as the seed shows it');
is($j->{message}{unread_notice}, 2, '... two unread');

$j = v1($a, 'GET', "/api/user/notice/$n1->{id}");
is($j->{code}, 0, 'GET /api/user/notice/{pk}: 0');
is($j->{message}{title}, 'ttt-1', '... the notice');
is($j->{message}{status}, 0, '... unread before this request');
$j = v1($a, 'GET', "/api/user/notice/$n1->{id}");
is($j->{message}{status}, 1, 'read again: status 1');
$j = v1($a, 'GET', '/api/user/notice');
is_deeply([ map { $_->{status} } @{ $j->{data} } ], [ 1, 0 ],
    'the list shows A\'s read state');
$j = v1($a, 'GET', '/api/user/notice/summary');
is($j->{message}{unread_notice}, 1, 'summary: one unread left');
$j = v1($b, 'GET', '/api/user/notice');
is_deeply([ map { $_->{status} } @{ $j->{data} } ], [ 0, 0 ],
    'B\'s read state is B\'s own');
$j = v1($b, 'GET', '/api/user/notice/summary');
is($j->{message}{unread_notice}, 2, '... two unread for B');

$j = v1($a, 'GET', '/api/user/notice?page=2');
is_deeply($j->{data}, [], 'page 2: empty');
is($j->{total}, 2, '... the true total');
$j = v1($a, 'GET', '/api/user/notice?page=0');
is($j->{code}, 10012, 'page=0: 10012');

# ---- errors and tenancy ------------------------------------------------------------

$j = v1($a, 'GET', '/api/user/notice/999999');
is($j->{code}, 10008, 'an unknown notice: 10008');
$j = v1($a, 'GET', "/api/user/notice/$ns->{id}");
is($j->{code}, 10008, 'another app\'s notice: 10008');
$j = v1($a, 'GET', '/api/user/notice/x');
is($j->{code}, 10008, 'a pk that is no id: 10008');
for my $path ('/api/user/notice', '/api/user/notice/summary',
    "/api/user/notice/$n1->{id}")
{
    $j = v1(undef, 'GET', $path);
    is($j->{code}, 10021, "$path without a token: 10021");
}
$j = v1(undef, 'GET', '/api/user/notice', undef,
    { Authorization => 'x.y.z' });
is($j->{code}, 10001, 'a bad token: 10001');
$j = v1($s, 'GET', '/api/user/notice');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $ns->{id} ],
    'app shop lists its own notice only');
$j = v1($s, 'GET', "/api/user/notice/$n1->{id}");
is($j->{code}, 10008, '... and cannot read ours');

# ---- the reply half of the summary -------------------------------------------------

$j = v1($a, 'POST', '/api/user/feedback', { feedback_title => 't3',
    feedback_content => 'c3' });
my $fid = $j->{message}{feedback_id};
ctl_ok('manager', 'add', 'desk');
ctl_ok('feedback', 'reply', $fid, 'cccc222');
$j = v1($a, 'GET', '/api/user/notice/summary');
is($j->{message}{content_reply}, 'cccc222', 'summary: the newest reply');
like($j->{message}{content_reply_time}, qr/^\d{4}-\d\d-\d\d$/, '... its day');
is($j->{message}{unread_reply}, 1, '... one unread reply');
$j = v1($b, 'GET', '/api/user/notice/summary');
is($j->{message}{content_reply}, '', 'B\'s summary shows no reply');
is($j->{message}{unread_reply}, 0, '... none unread');
v1($a, 'GET', '/api/user/feedback_reply');
$j = v1($a, 'GET', '/api/user/notice/summary');
is($j->{message}{unread_reply}, 0, 'after feedback_reply: none unread');
is($j->{message}{content_reply}, 'cccc222', '... still the newest reply');

# ---- removal -----------------------------------------------------------------------

$d = ctl_ok('notice', 'rm', $n1->{id});
ok($d->{removed}, 'notice rm');
is($t->db_value('SELECT COUNT(*) FROM notice_reads WHERE notice_id = ?',
    $n1->{id}), 0, '... its read states gone');
$j = v1($a, 'GET', "/api/user/notice/$n1->{id}");
is($j->{code}, 10008, '... and it answers 10008');
($rc, $d, $err) = FeatAdmin::ctl($t, 'notice', 'rm', $n1->{id});
is($rc, 1, 'removing it again: exit 1');

$t->stop;
done_testing;

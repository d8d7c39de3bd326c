#!/usr/bin/perl

# 30-admin-content.t: the console's FAQ and notices (modules/faq/admin.c,
# modules/notices/admin.c, featcgi-api(7) "ADMIN API"): list, create, read,
# change and remove, each answered and stored, what v2 /api/faq, v1 /faq and
# v1 /api/user/notice then serve, bad input refused with the field and
# nothing stored, another app's rows not found, and each write's audit row.

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
sub audit { return FeatAdminContent::audit($t, @_) }

my $u = FeatV1Content::user($t, '13500000001');
my $ma = FeatAdminContent::manager($t, 'editor', app => '');
my $mb = FeatAdminContent::manager($t, 'shopeditor', app => 'shop');
my $all = FeatAdminContent::manager($t, 'chief', all_apps => 1);
my $iso = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/;

my ($st, $j, $n);

# ---- FAQ -----------------------------------------------------------------

($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/faq');
is($st, 200, 'GET faq: 200');
is_deeply($j->{data}, [], '... none yet');
is($j->{total}, 0, '... total 0');

($st, $j) = adm($ma, 'POST', '/admin/api/apps/~/faq', { title => '如何注册',
    content => '用手机号', category => '账号',
    external_link => 'https://help.example.com/1' });
is($st, 201, 'POST faq: 201');
my $q = $j->{data};
is_deeply([ sort keys %$q ], [ sort qw(id title content category
    external_link created_at updated_at) ], '... the row\'s fields');
is($q->{title}, '如何注册', '... title');
like($q->{created_at}, $iso, '... created_at in ISO 8601');
my $row = $t->db_row('SELECT * FROM faq WHERE id = ?', $q->{id});
is($row->{app_id}, '', 'stored in app ""');
is($row->{content}, '用手机号', '... with its content');
is($row->{external_link}, 'https://help.example.com/1', '... and link');
my $au = audit('admin.faq.create');
ok($au, 'audited: admin.faq.create');
is($au->{actor}, "manager:$ma->{id}", '... by the manager');
like($au->{detail}, qr/"faq":$q->{id}\b/, '... naming the entry');

$j = api($u, 'GET', "/api/faq/$q->{id}");
is($j->{data}{title}, '如何注册', 'v2 /api/faq/{id} serves it');
($st, undef, $j) = $t->get('/faq');
is($j->{data}{data}[0]{faq_title}, '如何注册', 'v1 /faq lists it');

my $rows0 = $t->db_value('SELECT count(*) FROM faq');
my $audit0 = $t->db_value('SELECT count(*) FROM audit');
for my $case ([ { content => 'x' }, 'title', 'no title' ],
    [ { title => '' }, 'title', 'an empty title' ],
    [ { title => 'x' x 201 }, 'title', 'a title of 201' ],
    [ { title => 't', external_link => 'javascript:alert(1)' },
      'external_link', 'a javascript: link' ],
    [ { title => 't', category => 'c' x 65 }, 'category',
      'a category of 65' ],
    [ { title => 't', content => [] }, 'content', 'content an array' ])
{
    ($st, $j) = adm($ma, 'POST', '/admin/api/apps/~/faq', $case->[0]);
    is($st, 400, "create with $case->[2]: 400");
    is($j->{error}{code}, 'bad_field', '... bad_field');
    is($j->{error}{field}, $case->[1], "... naming $case->[1]");
}
($st, undef, $j) = $ma->request('POST', '/admin/api/apps/~/faq', 'title=x',
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($st, 415, 'a form body: 415');
is($t->db_value('SELECT count(*) FROM faq'), $rows0, '... nothing stored');
is($t->db_value('SELECT count(*) FROM audit'), $audit0, '... nor audited');

($st, $j) = adm($ma, 'POST', '/admin/api/apps/~/faq', { title => 'two' },
    csrf => 0);
is($st, 403, 'create without the CSRF token: 403');
is($j->{error}{code}, 'csrf', '... csrf');
is($t->db_value('SELECT count(*) FROM faq'), $rows0, '... nothing stored');

($st, $j) = adm($ma, 'PUT', "/admin/api/apps/~/faq/$q->{id}",
    { content => '', category => '注册' });
is($st, 200, 'PUT faq/{id}: 200');
is($j->{data}{content}, '', '... content cleared');
is($j->{data}{category}, '注册', '... category changed');
is($j->{data}{title}, '如何注册', '... title kept');
is($t->db_value('SELECT category FROM faq WHERE id = ?', $q->{id}), '注册',
    '... stored');
ok(audit('admin.faq.update'), 'audited: admin.faq.update');
($st, $j) = adm($ma, 'PUT', "/admin/api/apps/~/faq/$q->{id}",
    { title => '' });
is($st, 400, 'PUT with an empty title: 400');
is($j->{error}{field}, 'title', '... naming title');
is($t->db_value('SELECT title FROM faq WHERE id = ?', $q->{id}), '如何注册',
    '... unchanged');

($st, $j) = adm($ma, 'GET', "/admin/api/apps/~/faq/$q->{id}");
is($st, 200, 'GET faq/{id}: 200');
is($j->{data}{category}, '注册', '... as changed');

# another app's row: 404 for A's manager, whatever the path's app
($st, $j) = adm($mb, 'POST', '/admin/api/apps/shop/faq',
    { title => 'shop q' });
is($st, 201, 'B\'s manager adds to B');
my $shopq = $j->{data}{id};
is($t->db_value('SELECT app_id FROM faq WHERE id = ?', $shopq), 'shop',
    '... stored in shop');
for my $call ([ 'GET', "/admin/api/apps/~/faq/$shopq" ],
    [ 'PUT', "/admin/api/apps/~/faq/$shopq", { title => 'mine' } ],
    [ 'DELETE', "/admin/api/apps/~/faq/$shopq" ],
    [ 'GET', "/admin/api/apps/shop/faq/$shopq" ],
    [ 'GET', '/admin/api/apps/shop/faq' ],
    [ 'POST', '/admin/api/apps/shop/faq', { title => 'in' } ],
    [ 'GET', '/admin/api/apps/nosuch/faq' ])
{
    ($st, $j) = adm($ma, @$call);
    is($st, 404, "A's manager: $call->[0] $call->[1]: 404");
    is($j->{error}{code}, 'not_found', '... not_found');
}
is($t->db_value('SELECT title FROM faq WHERE id = ?', $shopq), 'shop q',
    '... B\'s row untouched');
is($t->db_value('SELECT count(*) FROM faq WHERE app_id = ?', 'shop'), 1,
    '... and nothing added to B');
($st, $j) = adm($all, 'GET', "/admin/api/apps/shop/faq/$shopq");
is($st, 200, 'a manager of every app reads B\'s');
($st, $j) = adm($all, 'GET', '/admin/api/apps/~/faq');
is($j->{total}, 1, '... and A\'s');

($st, $j) = adm($ma, 'DELETE', "/admin/api/apps/~/faq/$q->{id}");
is($st, 204, 'DELETE faq/{id}: 204');
is($t->db_value('SELECT count(*) FROM faq WHERE id = ?', $q->{id}), 0,
    '... gone');
ok(audit('admin.faq.delete'), 'audited: admin.faq.delete');
is(api($u, 'GET', "/api/faq/$q->{id}")->{code}, 10001,
    'v2 no longer serves it');
($st, $j) = adm($ma, 'DELETE', "/admin/api/apps/~/faq/$q->{id}");
is($st, 404, 'deleting it again: 404');

# ---- notices -------------------------------------------------------------

($st, $j) = adm($ma, 'POST', '/admin/api/apps/~/notices',
    { title => '活动', content => '周末活动',
      thumbnail => 'https://img.example.com/a.png' });
is($st, 201, 'POST notices: 201');
$n = $j->{data};
is($n->{number}, sprintf('%08d', $n->{id}), '... its number');
is($n->{thumbnail}, 'https://img.example.com/a.png', '... thumbnail');
is($t->db_value('SELECT title FROM notices WHERE id = ?', $n->{id}), '活动',
    '... stored');
$au = audit('admin.notice.create');
ok($au, 'audited: admin.notice.create');
like($au->{detail}, qr/"notice":$n->{id}\b/, '... naming the notice');

$j = v1($u, 'GET', '/api/user/notice');
is($j->{data}[0]{title}, '活动', 'v1 lists the notice');

($st, $j) = adm($ma, 'POST', '/admin/api/apps/~/notices',
    { title => 'x', thumbnail => 'ftp://x' });
is($st, 400, 'a thumbnail that is no URL: 400');
is($j->{error}{field}, 'thumbnail', '... naming thumbnail');
is($t->db_value('SELECT count(*) FROM notices'), 1, '... nothing stored');

($st, $j) = adm($ma, 'PUT', "/admin/api/apps/~/notices/$n->{id}",
    { title => '活动 2' });
is($st, 200, 'PUT notices/{id}: 200');
is($j->{data}{title}, '活动 2', '... changed');
is($j->{data}{content}, '周末活动', '... content kept');
ok(audit('admin.notice.update'), 'audited: admin.notice.update');
is(v1($u, 'GET', "/api/user/notice/$n->{id}")->{message}{title}, '活动 2',
    'v1 serves the change');

($st, $j) = adm($ma, 'GET', '/admin/api/apps/~/notices');
is($st, 200, 'GET notices: 200');
is($j->{total}, 1, '... one');
is($j->{data}[0]{title}, '活动 2', '... as changed');

($st, $j) = adm($mb, 'GET', "/admin/api/apps/shop/notices/$n->{id}");
is($st, 404, 'B\'s manager: A\'s notice by B\'s path: 404');
($st, $j) = adm($mb, 'DELETE', "/admin/api/apps/~/notices/$n->{id}");
is($st, 404, '... and by A\'s: 404');
is($t->db_value('SELECT count(*) FROM notices WHERE id = ?', $n->{id}), 1,
    '... still there');

($st, $j) = adm($ma, 'DELETE', "/admin/api/apps/~/notices/$n->{id}");
is($st, 204, 'DELETE notices/{id}: 204');
is($t->db_value('SELECT count(*) FROM notices'), 0, '... gone');
ok(audit('admin.notice.delete'), 'audited: admin.notice.delete');
is(v1($u, 'GET', '/api/user/notice')->{total}, 0, 'v1 lists none');

done_testing;

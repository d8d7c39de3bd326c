#!/usr/bin/perl

# t/10-faq-v2.t: GET /api/faq and GET /api/faq/{id} through nginx: the
# seed's objects and paged answer, the entries written by featctl, paging
# bounds (field error or clamp, never a crash), a token required, another
# app's entry not found, other methods 405.

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

FeatAdmin::ctl_ok($t, 'app', 'add', 'shop');
my $u = FeatAdmin::user($t, '13600000001');
my $s = FeatAdmin::user($t, '13600000002', 'shop');

# ---- empty, then entries --------------------------------------------------------

$j = api($u, 'GET', '/api/faq');
is($j->{http}, 200, 'GET /api/faq: HTTP 200');
is($j->{code}, 0, '... code 0');
is($j->{message}, 'success', '... message success');
is_deeply($j->{data}, { total => 0, pages => 0, current_page => 1,
    page_size => 20, data => [] }, '... an empty page');

my @ids;
for my $i (1 .. 25) {
    my $f = FeatAdmin::ctl_ok($t, 'faq', 'add', '--title', "标题$i",
        '--content', "内容$i", ($i == 1 ? ('--category', 'app',
        '--external-link', 'http://example.com/faq') : ()));
    push @ids, $f->{id};
}
my $shop = FeatAdmin::ctl_ok($t, 'faq', 'add', '--title', 'shop only',
    '--app', 'shop');

$j = api($u, 'GET', '/api/faq');
is($j->{code}, 0, 'GET /api/faq with 25 entries: 0');
is($j->{data}{total}, 25, '... total 25');
is($j->{data}{pages}, 2, '... 2 pages');
is($j->{data}{current_page}, 1, '... current_page 1');
is($j->{data}{page_size}, 20, '... page_size 20 by default');
is(scalar(@{ $j->{data}{data} }), 20, '... 20 on the page');
is($j->{data}{data}[0]{id}, $ids[-1], '... newest first');
is_deeply([ sort keys %{ $j->{data}{data}[0] } ],
    [ sort qw(id app_id created_at updated_at title content category
        external_link) ], '... the seed\'s fields, no more');
like($j->{data}{data}[0]{created_at}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    '... v2 times');

$j = api($u, 'GET', '/api/faq?page_no=2');
is(scalar(@{ $j->{data}{data} }), 5, 'page_no=2: the last 5');
is($j->{data}{data}[-1]{id}, $ids[0], '... down to the oldest');
is($j->{data}{current_page}, 2, '... current_page 2');

$j = api($u, 'GET', '/api/faq?page_no=3');
is($j->{code}, 0, 'page past the end: 0');
is_deeply($j->{data}{data}, [], '... an empty list');
is($j->{data}{total}, 25, '... with the true total');

$j = api($u, 'GET', '/api/faq?page_size=1000');
is($j->{code}, 0, 'page_size=1000: 0');
is($j->{data}{page_size}, 100, '... clamped to 100, echoed');
is(scalar(@{ $j->{data}{data} }), 25, '... all 25');

$j = api($u, 'GET', '/api/faq?page_size=7&page_no=4');
is(scalar(@{ $j->{data}{data} }), 4, 'page_size=7 page_no=4: 4 rows');
is($j->{data}{pages}, 4, '... 4 pages');

$j = api($u, 'GET', '/api/faq?page_no=999999999999999');
is($j->{code}, 0, 'the largest page_no (10^15 - 1): 0');
is_deeply($j->{data}{data}, [], '... empty');
is($j->{data}{current_page}, 999999999999999, '... echoed exactly');
$j = api($u, 'GET', '/api/faq?page_no=99999999999999999');
is($j->{code}, 10005, 'a page_no past 10^15 - 1: field error');

for my $q ('page_no=0', 'page_no=-1', 'page_no=abc', 'page_size=0',
    'page_size=-5', 'page_size=1.5', 'page_no=', 'page_no=99999999999999999999')
{
    $j = api($u, 'GET', "/api/faq?$q");
    is($j->{http}, 200, "$q: HTTP 200");
    is($j->{code}, 10005, "... 10005");
    is_deeply($j->{data}, {}, '... data {}');
}

# ---- one entry --------------------------------------------------------------------

$j = api($u, 'GET', "/api/faq/$ids[0]");
is($j->{code}, 0, 'GET /api/faq/{id}: 0');
is_deeply($j->{data}, {
    id => $ids[0], app_id => '', title => '标题1', content => '内容1',
    category => 'app', external_link => 'http://example.com/faq',
    created_at => $j->{data}{created_at}, updated_at => $j->{data}{updated_at},
}, '... the entry');

for my $id ($shop->{id}, 999999, 0, -1, 'abc', '1.0', '99999999999999999999') {
    $j = api($u, 'GET', "/api/faq/$id");
    is($j->{code}, 10001, "GET /api/faq/$id: 10001");
    is_deeply($j->{data}, {}, '... no content');
}

$j = api($s, 'GET', "/api/faq/$shop->{id}");
is($j->{code}, 0, 'the shop entry in shop: 0');
is($j->{data}{app_id}, 'shop', '... app_id shop');
$j = api($s, 'GET', '/api/faq');
is($j->{data}{total}, 1, 'shop lists only its own');

# ---- tokens and methods ---------------------------------------------------------------

$j = api(undef, 'GET', '/api/faq');
is($j->{code}, 10004, 'no token: 10004');
$j = api(undef, 'GET', "/api/faq/$ids[0]");
is($j->{code}, 10004, 'no token on {id}: 10004');
$j = api({ token => 'x' x 50, app => '' }, 'GET', '/api/faq');
is($j->{code}, 10004, 'a wrong token: 10004');
$j = api({ token => $s->{token}, app => '' }, 'GET', '/api/faq');
is($j->{code}, 10004, 'a shop token in "": 10004');

my ($st, $h, $d) = $t->post('/api/faq', { title => 'x' },
    { -token => $u->{token} });
is($st, 405, 'POST /api/faq: 405');
like($h->{allow} // '', qr/GET/, '... Allow: GET');
is($d->{code}, 10002, '... code 10002');
($st, $h, $d) = $t->delete("/api/faq/$ids[0]", undef,
    { -token => $u->{token} });
is($st, 405, 'DELETE /api/faq/{id}: 405');
is($t->db_value('SELECT count(*) FROM faq'), 26, '... nothing removed');

$t->stop;
done_testing;

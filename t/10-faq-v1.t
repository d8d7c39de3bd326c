#!/usr/bin/perl

# t/10-faq-v1.t: GET /faq through nginx (seeds/003): no token needed, the
# seed's {"meta":{"message":"Success.","code":0},"data":{page}} envelope,
# entries {faq_id, faq_title, faq_content} newest first, v1 paging by
# "page" (20 a page), a bad page 10012 in v1's error form, and each app
# seeing its own FAQ only.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatTest;
use FeatV1Content;
use Test::More;

my $t = FeatTest->new();
my ($st, $h, $j);

FeatAdmin::ctl_ok($t, 'app', 'add', 'shop');

($st, $h, $j) = $t->get('/faq');
is($st, 200, 'GET /faq without a token: 200');
is_deeply($j, { meta => { message => 'Success.', code => 0 },
    data => { total => 0, data => [], pages => 0, page_size => 20,
              current_page => 1 } }, '... the seed\'s envelope, empty');

my @ids;
for my $i (1 .. 21) {
    push @ids, FeatAdmin::ctl_ok($t, 'faq', 'add', '--title', "问题$i",
        '--content', "回答$i", '--category', 'c')->{id};
}
FeatAdmin::ctl_ok($t, 'faq', 'add', '--title', 'shop only', '--app', 'shop');

($st, $h, $j) = $t->get('/faq');
is($j->{meta}{code}, 0, 'GET /faq: meta.code 0');
is($j->{data}{total}, 21, '... total 21 of this app');
is($j->{data}{pages}, 2, '... 2 pages');
is(scalar @{ $j->{data}{data} }, 20, '... 20 on page 1');
is_deeply($j->{data}{data}[0], { faq_id => $ids[-1], faq_title => '问题21',
    faq_content => '回答21' }, '... newest first, the seed\'s fields only');
ok(!exists $j->{code}, '... no top-level code');

($st, $h, $j) = $t->get('/faq?page=2');
is_deeply([ map { $_->{faq_id} } @{ $j->{data}{data} } ], [ $ids[0] ],
    'page 2: the oldest');
is($j->{data}{current_page}, 2, '... current_page 2');
($st, $h, $j) = $t->get('/faq?page=9');
is_deeply($j->{data}{data}, [], 'page 9: empty');
is($j->{data}{total}, 21, '... with the true total');

for my $bad ('0', '-1', 'x', '1.5') {
    ($st, $h, $j) = $t->get("/faq?page=$bad");
    is($st, 200, "page=$bad: 200");
    is($j->{code}, 10012, '... 10012 in v1\'s error form');
}

($st, $h, $j) = $t->get('/faq', { -app => 'shop' });
is($j->{data}{total}, 1, 'app shop: its own FAQ only');
is($j->{data}{data}[0]{faq_title}, 'shop only', '... the shop entry');

($st, $h, $j) = $t->post('/faq', {});
is($st, 405, 'POST /faq: 405');
is($j->{code}, 10008, '... v1 code 10008');

$t->stop;
done_testing;

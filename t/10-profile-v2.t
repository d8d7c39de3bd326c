#!/usr/bin/perl

# 10-profile-v2.t: GET and PUT /api/personal/info (seeds/004): the seed's
# object, partial updates, clearing with "", and field errors that leave
# the row untouched.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new();
my ($st, $h, $j);

my $reg = $t->register_v2('18656660930', 'secret930');
my $tok = { -token => $reg->{access_token} };
my $uid = $t->db_value(q{SELECT id FROM users WHERE phone = '18656660930'});
my $row = sub { $t->db_row('SELECT * FROM users WHERE id = ?', $uid) };

# ---- GET ------------------------------------------------------------------

($st, $h, $j) = $t->get('/api/personal/info', $tok);
is($st, 200, 'GET info: 200');
is($j->{code}, 0, '... code 0');
is($j->{message}, 'success', '... message success');
my $u = $j->{data};
is_deeply([ sort keys %$u ], [ sort qw(id area phone email openid role
    username is_active app_id created_at updated_at nickname avatar gender
    birthday address) ], '... exactly the seed fields');
is($u->{id}, $uid, '... id');
is($u->{area}, '86', '... area');
is($u->{phone}, '18656660930', '... phone');
is($u->{email}, '', '... email ""');
is($u->{username}, '18656660930', '... username');
like($u->{openid}, qr/^[0-9A-Za-z]{40}$/, '... openid');
is($u->{openid}, $row->()->{openid}, '... the stored openid');
is($u->{role}, 0, '... role 0');
ok(JSON::PP::is_bool($u->{is_active}) && $u->{is_active}, '... is_active true');
is($u->{app_id}, '', '... app_id ""');
like($u->{created_at}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, '... created_at');
like($u->{updated_at}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, '... updated_at');
is($u->{nickname}, '', '... nickname ""');
is($u->{avatar}, '', '... avatar ""');
is($u->{gender}, 2, '... gender 2');
ok(!ref($u->{gender}), '... gender is a number');
is($u->{birthday}, '', '... birthday ""');
is($u->{address}, '', '... address ""');

# ---- PUT ------------------------------------------------------------------

my %all = (nickname => '小明', avatar => 'https://cdn.example.com/a.png',
    gender => 1, birthday => '1991-03-08', address => '上海市浦东新区');
($st, $h, $j) = $t->put('/api/personal/info', \%all, $tok);
is($j->{code}, 0, 'PUT every field: 0');
is($j->{data}{$_}, $all{$_}, "... answer $_") for sort keys %all;
is($j->{data}{id}, $uid, '... the same user');
my $r = $row->();
is($r->{$_}, $all{$_}, "... stored $_") for sort keys %all;
cmp_ok($r->{updated_at}, '>=', $r->{created_at}, '... updated_at moved on');

($st, $h, $j) = $t->get('/api/personal/info', $tok);
is($j->{data}{$_}, $all{$_}, "GET after PUT: $_") for sort keys %all;

($st, $h, $j) = $t->put('/api/personal/info', { nickname => '小红' }, $tok);
is($j->{code}, 0, 'PUT one field: 0');
$r = $row->();
is($r->{nickname}, '小红', '... changed');
is($r->{$_}, $all{$_}, "... $_ unchanged")
    for qw(avatar gender birthday address);

($st, $h, $j) = $t->put('/api/personal/info',
    { address => '', birthday => '' }, $tok);
is($j->{code}, 0, 'PUT "" clears: 0');
$r = $row->();
is($r->{address}, '', '... address cleared');
is($r->{birthday}, '', '... birthday cleared');
is($r->{nickname}, '小红', '... nickname kept');
is($j->{data}{address}, '', '... answered cleared');

($st, $h, $j) = $t->put('/api/personal/info', { gender => 0 }, $tok);
is($j->{code}, 0, 'gender 0: 0');
is($row->()->{gender}, 0, '... stored');

($st, $h, $j) = $t->put('/api/personal/info', { nickname => '字' x 32 }, $tok);
is($j->{code}, 0, 'a 32-character Chinese nickname: 0');
is($row->()->{nickname}, '字' x 32, '... stored whole');

($st, $h, $j) = $t->put('/api/personal/info',
    { username => 'hacker', phone => '13000000000', role => 9,
      is_active => JSON::PP::false, nickname => 'n1' }, $tok);
is($j->{code}, 0, 'unknown and read-only fields are ignored: 0');
$r = $row->();
is($r->{username}, '18656660930', '... username unchanged');
is($r->{phone}, '18656660930', '... phone unchanged');
is($r->{role}, 0, '... role unchanged');
is($r->{is_active}, 1, '... still active');
is($r->{nickname}, 'n1', '... nickname changed');

($st, $h, $j) = $t->put('/api/personal/info', 'nickname=%E8%A1%A8%E5%8D%95',
    { %$tok, 'Content-Type' => 'application/x-www-form-urlencoded' });
is($j->{code}, 0, 'PUT as a form: 0');
is($row->()->{nickname}, '表单', '... stored');

# ---- field errors leave the row as it was -----------------------------------

my $before = $row->();
for my $bad ({ gender => 3 }, { gender => -1 }, { gender => 1.5 },
    { gender => 'male' }, { gender => undef },
    { birthday => '1991-02-30' }, { birthday => '1991/03/08' },
    { birthday => '19910308' }, { birthday => '1991-3-8' },
    { birthday => 19910308 },
    { nickname => '字' x 33 }, { nickname => 123 }, { nickname => undef },
    { address => 'a' x 129 }, { avatar => 'a' x 513 },
    { nickname => 'ok', gender => 7 }, { address => 'ok', birthday => 'x' })
{
    my $show = FeatTest::json()->encode($bad);
    ($st, $h, $j) = $t->put('/api/personal/info', $bad, $tok);
    is($st, 200, "PUT $show: 200");
    is($j->{code}, 10005, "... 10005");
    is_deeply($row->(), $before, '... row unchanged');
}

($st, $h, $j) = $t->put('/api/personal/info', '{"nickname":', $tok);
is($j->{code}, 10005, 'malformed JSON: 10005');
is_deeply($row->(), $before, '... row unchanged');

# ---- tokens -----------------------------------------------------------------

($st, $h, $j) = $t->get('/api/personal/info');
is($j->{code}, 10004, 'GET without a token: 10004');
($st, $h, $j) = $t->put('/api/personal/info', { nickname => 'x' });
is($j->{code}, 10004, 'PUT without a token: 10004');
is_deeply($row->(), $before, '... row unchanged');
($st, $h, $j) = $t->get('/api/personal/info', { -token => 'a' x 50 });
is($j->{code}, 10004, 'an unknown token: 10004');
($st, $h, $j) = $t->get('/api/personal/info',
    { Authorization => "Bearer $reg->{access_token}" });
is($j->{code}, 0, 'Bearer works as well as Token');
($st, $h, $j) = $t->get('/api/personal/info',
    { Authorization => $reg->{access_token} });
is($j->{code}, 10004, 'a bare token is not a v2 credential');
($st, $h, $j) = $t->get('/api/personal/info',
    { Authorization => "Token $reg->{refresh_token}" });
is($j->{code}, 10004, 'the refresh token is no access token');

# A second user sees only themself.
my $reg2 = $t->register_v2('18656660931', 'secret931');
($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $reg2->{access_token} });
is($j->{data}{phone}, '18656660931', 'another token, another user');
isnt($j->{data}{id}, $uid, '... another id');

$t->stop;
done_testing;

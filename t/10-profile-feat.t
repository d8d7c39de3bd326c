#!/usr/bin/perl

# 10-profile-feat.t: GET and PATCH /api/user/profile/ (API.md "Profile"):
# the v2 personal/info object with feat times and envelope, the same
# partial-update and validation rules, field errors that leave the row
# untouched, and feat's 401.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new();
my ($st, $h, $j);
my $path = '/api/user/profile/';

my $reg = $t->register_v2('18656663001', 'secret3001');
my $tok = { -token => $reg->{access_token} };
my $uid = $t->db_value(q{SELECT id FROM users WHERE phone = '18656663001'});
my $row = sub { $t->db_row('SELECT * FROM users WHERE id = ?', $uid) };
my $iso = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;

# ---- GET ------------------------------------------------------------------

($st, $h, $j) = $t->get($path, $tok);
is($st, 200, 'GET: 200');
is_deeply([ keys %$j ], [ 'data' ], '... {"data":...} only');
my $u = $j->{data};
is_deeply([ sort keys %$u ], [ sort qw(id area phone email openid role
    username is_active app_id created_at updated_at nickname avatar gender
    birthday address) ], '... the v2 personal/info fields');
is($u->{id}, $uid, '... id');
is($u->{phone}, '18656663001', '... phone');
is($u->{username}, '18656663001', '... username');
is($u->{openid}, $row->()->{openid}, '... openid');
is($u->{gender}, 2, '... gender 2');
like($u->{created_at}, $iso, '... created_at in the feat form');
like($u->{updated_at}, $iso, '... updated_at in the feat form');

($st, $h, $j) = $t->get($path,
    { Authorization => "Bearer $reg->{access_token}" });
is($st, 200, 'GET with Bearer: 200');

# ---- PATCH ----------------------------------------------------------------

my %all = (nickname => '小明', avatar => 'https://cdn.example.com/a.png',
    gender => 1, birthday => '1991-03-08', address => '上海市浦东新区');
($st, $h, $j) = $t->patch($path, \%all, $tok);
is($st, 200, 'PATCH every field: 200');
is($j->{data}{$_}, $all{$_}, "... answer $_") for sort keys %all;
like($j->{data}{updated_at}, $iso, '... feat time');
my $r = $row->();
is($r->{$_}, $all{$_}, "... stored $_") for sort keys %all;

($st, $h, $j) = $t->patch($path, { nickname => '小红' }, $tok);
is($st, 200, 'PATCH one field: 200');
$r = $row->();
is($r->{nickname}, '小红', '... changed');
is($r->{$_}, $all{$_}, "... $_ unchanged")
    for qw(avatar gender birthday address);

($st, $h, $j) = $t->patch($path, { address => '', birthday => '' }, $tok);
is($st, 200, 'PATCH "" clears: 200');
$r = $row->();
is($r->{address}, '', '... address cleared');
is($r->{birthday}, '', '... birthday cleared');
is($r->{nickname}, '小红', '... nickname kept');

($st, $h, $j) = $t->patch($path, { nickname => '字' x 32, username => 'x',
    role => 9 }, $tok);
is($st, 200, '32-character nickname, read-only fields ignored: 200');
$r = $row->();
is($r->{nickname}, '字' x 32, '... stored whole');
is($r->{username}, '18656663001', '... username unchanged');
is($r->{role}, 0, '... role unchanged');

# ---- field errors ---------------------------------------------------------

my $before = $row->();
for my $bad ([ { gender => 3 }, 'gender' ], [ { gender => 'male' }, 'gender' ],
    [ { gender => undef }, 'gender' ],
    [ { birthday => '1991-02-30' }, 'birthday' ],
    [ { birthday => '1991/03/08' }, 'birthday' ],
    [ { nickname => '字' x 33 }, 'nickname' ],
    [ { nickname => 123 }, 'nickname' ],
    [ { address => 'a' x 129 }, 'address' ],
    [ { avatar => 'a' x 513 }, 'avatar' ],
    [ { nickname => 'ok', gender => 7 }, 'gender' ])
{
    my ($body, $field) = @$bad;
    my $show = FeatTest::json()->encode($body);
    ($st, $h, $j) = $t->patch($path, $body, $tok);
    is($st, 400, "PATCH $show: 400");
    is($j->{code}, 'invalid', '... invalid');
    ok($j->{errors}{$field}, "... errors.$field");
    is_deeply($row->(), $before, '... row unchanged');
}

($st, $h, $j) = $t->patch($path, '{"nickname":', $tok);
is($st, 400, 'malformed JSON: 400');
is_deeply($row->(), $before, '... row unchanged');

# ---- tokens and methods -----------------------------------------------------

($st, $h, $j) = $t->get($path);
is($st, 401, 'GET without a token: 401');
is($j->{code}, 'not_authenticated', '... not_authenticated');
is($h->{'www-authenticate'}, 'Bearer', '... WWW-Authenticate: Bearer');
($st, $h, $j) = $t->patch($path, { nickname => 'x' },
    { -token => 'a' x 50 });
is($st, 401, 'PATCH with an unknown token: 401');
is($j->{code}, 'authentication_failed', '... authentication_failed');
is_deeply($row->(), $before, '... row unchanged');

($st, $h, $j) = $t->put($path, { nickname => 'x' }, $tok);
is($st, 405, 'PUT: 405');
is($j->{code}, 'method_not_allowed', '... method_not_allowed');

$t->stop;
done_testing;

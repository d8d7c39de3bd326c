#!/usr/bin/perl

# 10-profile-v1.t: GET and PUT /api/user/message (seeds/003): the v1 names
# over the same users row v2 serves (user_name = nickname or the account,
# user_sex = gender, user_city = city, ...), partial updates, "" clearing
# a field, and field errors that leave the row untouched.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use FeatV1 qw(login_v1 v1_auth);
use Test::More;

my $t = FeatTest->new('code.resend_interval' => 0);
my ($st, $h, $j);

my $reg = $t->register_v2('18656660930', 'secret930');
my $m = login_v1($t, '18656660930');
my $auth = v1_auth($m->{token});
my $uid = $t->db_value(q{SELECT id FROM users WHERE phone = '18656660930'});
my $row = sub { $t->db_row('SELECT * FROM users WHERE id = ?', $uid) };
my $v1time = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/;

# ---- GET ----------------------------------------------------------------------

($st, $h, $j) = $t->get('/api/user/message', $auth);
is($st, 200, 'GET: 200');
is($j->{code}, 0, '... code 0');
my $u = $j->{message};
is_deeply([ sort keys %$u ], [ sort qw(user_avatar user_permission
    user_message_id created_at updated_at user_telephone user_id user_name
    user_email user_sex user_birthday user_city) ], '... the seed\'s fields');
is($u->{user_id}, $uid, '... user_id');
is($u->{user_message_id}, $uid, '... user_message_id');
is($u->{user_telephone}, '18656660930', '... user_telephone');
is($u->{user_name}, '18656660930', '... user_name = the account (no nickname)');
is($u->{user_email}, '', '... user_email ""');
is($u->{user_sex}, 2, '... user_sex 2 (unknown)');
ok(!ref($u->{user_sex}), '... a number');
is($u->{user_permission}, 0, '... user_permission = role');
is($u->{user_avatar}, '', '... user_avatar ""');
is($u->{user_birthday}, '', '... user_birthday ""');
is($u->{user_city}, '', '... user_city ""');
like($u->{created_at}, $v1time, '... created_at in the v1 form');
like($u->{updated_at}, $v1time, '... updated_at');
($st, $h, $j) = $t->get('/api/user/message');
is($j->{code}, 10021, 'no token: 10021');

# ---- PUT ------------------------------------------------------------------------

my %all = (user_name => '小明', user_avatar => 'http://xxx.com/123.jpg',
    user_sex => 1, user_birthday => '2017-10-10', user_city => 'shanghai');
($st, $h, $j) = $t->put('/api/user/message', \%all, $auth);
is($j->{code}, 0, 'PUT every field: 0');
is_deeply([ sort keys %{ $j->{message} } ], [ sort qw(created_at updated_at
    user_id user_avatar user_sex user_birthday user_city user_name) ],
    '... the seed\'s answer fields');
is($j->{message}{$_}, $all{$_}, "... answer $_") for sort keys %all;
my $r = $row->();
is($r->{nickname}, '小明', '... stored as nickname');
is($r->{avatar}, $all{user_avatar}, '... avatar');
is($r->{gender}, 1, '... gender');
is($r->{birthday}, '2017-10-10', '... birthday');
is($r->{city}, 'shanghai', '... city');

($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $reg->{access_token} });
is($j->{data}{nickname}, '小明', 'v2 sees the same row');

($st, $h, $j) = $t->put('/api/user/message', { user_city => '北京' }, $auth);
is($j->{code}, 0, 'PUT one field: 0');
is($j->{message}{user_city}, '北京', '... changed');
is($j->{message}{user_name}, '小明', '... the rest kept');
is($row->()->{gender}, 1, '... gender kept');

($st, $h, $j) = $t->put('/api/user/message', 'user_name=&user_sex=0',
    { %$auth, 'Content-Type' => 'application/x-www-form-urlencoded' });
is($j->{code}, 0, 'urlencoded, "" clears: 0');
is($j->{message}{user_name}, '18656660930', '... user_name back to the account');
is($row->()->{nickname}, '', '... nickname cleared');
is($j->{message}{user_sex}, 0, '... user_sex 0');

# ---- field errors change nothing ---------------------------------------------------

my $before = $row->();
for my $bad ([ { user_sex => 3, user_city => 'x' }, 'user_sex 3' ],
    [ { user_sex => 'male', user_city => 'x' }, 'user_sex "male"' ],
    [ { user_birthday => '2017-02-30', user_city => 'x' }, 'a date that is not' ],
    [ { user_birthday => '20171010', user_city => 'x' }, 'birthday format' ],
    [ { user_name => 'n' x 33, user_city => 'x' }, 'a 33-character name' ],
    [ { user_avatar => 'a' x 513, user_city => 'x' }, 'a 513-character avatar' ],
    [ { user_city => 'c' x 65 }, 'a 65-character city' ],
    [ { user_city => undef }, 'user_city null' ],
    [ { user_city => [ 'x' ] }, 'user_city an array' ])
{
    ($st, $h, $j) = $t->put('/api/user/message', $bad->[0], $auth);
    is($j->{code}, 10012, "$bad->[1]: 10012");
}
($st, $h, $j) = $t->put('/api/user/message', '{"user_city":', $auth);
is($j->{code}, 10012, 'malformed JSON: 10012');
is_deeply($row->(), $before, '... the row untouched by all of them');

$t->stop;
done_testing;

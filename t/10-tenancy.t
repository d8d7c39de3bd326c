#!/usr/bin/perl

# 10-tenancy.t: one phone, two apps, two users.  The app comes from the
# nginx server block (FEAT_APP_ID, the template's second port, as the
# shipped site's second server) or from X-App-Id when app_header is on;
# a token is valid only in its own app.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use FeatTest;
use Test::More;

my $t = FeatTest->new(app_header => 'on');
my ($st, $h, $j, $rc, $out, $err);
my $phone = '13700000001';

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'featctl app add shop: exit 0') or diag($err);
is($t->db_value(q{SELECT count(*) FROM apps WHERE id = 'shop'}), 1,
    '... the app row');

# ---- the same phone in both apps ----------------------------------------------

my $d = $t->register_v2($phone, 'default-pass');
($st, $h, $j) = $t->post('/api/auth/send_code', { account => $phone },
    { -app => 'shop' });
is($j->{code}, 0, 'send_code in shop for a phone known in "": 0');
is($t->db_value(q{SELECT purpose FROM codes WHERE app_id = 'shop'}),
    'register', '... purpose register: unknown in shop');
my $sc = $t->code_for($phone, app => 'shop');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => $phone, code => $sc, password => 'shop-pass' },
    { -app => 'shop' });
is($j->{code}, 0, 'register the same phone in shop: 0');
my $s = $j->{data};

my $users = $t->db_rows('SELECT id, app_id, password FROM users WHERE phone = ?
    ORDER BY app_id', $phone);
is(scalar(@$users), 2, 'two users for one phone');
is($users->[0]{app_id}, '', '... one in ""');
is($users->[1]{app_id}, 'shop', '... one in shop');
isnt($users->[0]{id}, $users->[1]{id}, '... with two ids');
is($t->db_value('SELECT app_id FROM sessions WHERE access_hash = ?',
    sha256_hex($s->{access_token})), 'shop', 'the shop session is in shop');
is($t->db_value('SELECT app_id FROM sessions WHERE access_hash = ?',
    sha256_hex($d->{access_token})), '', 'the default session is in ""');

# ---- tokens stay in their app (nginx server blocks) ---------------------------

($st, $h, $j) = $t->get('/api/personal/info', { -token => $d->{access_token} });
is($j->{code}, 0, '"" token in "": 0');
is($j->{data}{app_id}, '', '... app_id ""');
is($j->{data}{id}, $users->[0]{id}, '... the "" user');
($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $s->{access_token}, -app => 'shop' });
is($j->{code}, 0, 'shop token in shop: 0');
is($j->{data}{app_id}, 'shop', '... app_id shop');
is($j->{data}{id}, $users->[1]{id}, '... the shop user');

($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $d->{access_token}, -app => 'shop' });
is($j->{code}, 10004, '"" token in shop: 10004');
($st, $h, $j) = $t->get('/api/personal/info', { -token => $s->{access_token} });
is($j->{code}, 10004, 'shop token in "": 10004');
($st, $h, $j) = $t->post('/api/auth/refresh_token',
    { refresh_token => $d->{refresh_token} }, { -app => 'shop' });
is($j->{code}, 10004, '"" refresh token in shop: 10004');
($st, $h, $j) = $t->post('/api/auth/destroy_token', undef,
    { -token => $s->{access_token} });
is($j->{code}, 10004, 'shop token cannot be destroyed from ""');
ok(!defined $t->db_value('SELECT revoked_at FROM sessions WHERE access_hash = ?',
    sha256_hex($s->{access_token})), '... and is not revoked');

# ---- passwords and codes stay in their app --------------------------------------

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $phone, password => 'default-pass' }, { -app => 'shop' });
is($j->{code}, 10007, 'the "" password in shop: 10007');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $phone, password => 'shop-pass' }, { -app => 'shop' });
is($j->{code}, 0, 'the shop password in shop: 0');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $phone, password => 'shop-pass' });
is($j->{code}, 10007, 'the shop password in "": 10007');

my $only = '13700000002';
$t->register_v2($only, 'only-pass');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $only, password => 'only-pass' }, { -app => 'shop' });
is($j->{code}, 10006, 'a phone registered only in "" is unknown in shop: 10006');

# ---- X-App-Id (app_header on) -----------------------------------------------------

($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $s->{access_token}, 'X-App-Id' => 'shop' });
is($j->{code}, 0, 'X-App-Id shop with the shop token: 0');
is($j->{data}{app_id}, 'shop', '... in shop');
($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $d->{access_token}, 'X-App-Id' => 'shop' });
is($j->{code}, 10004, 'X-App-Id shop with the "" token: 10004');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $phone, password => 'shop-pass' }, { 'X-App-Id' => 'shop' });
is($j->{code}, 0, 'login in shop by X-App-Id: 0');
($st, $h, $j) = $t->get('/api/personal/info',
    { -token => $s->{access_token}, -app => 'shop', 'X-App-Id' => 'nosuch' });
is($j->{code}, 0, 'FEAT_APP_ID from nginx wins over X-App-Id');
is($j->{data}{app_id}, 'shop', '... still shop');

# A code sent in one app does not serve in the other.
($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13700000003' },
    { 'X-App-Id' => 'shop' });
is($j->{code}, 0, 'send_code in shop by X-App-Id: 0');
my $c3 = $t->code_for('13700000003', app => 'shop');
($st, $h, $j) = $t->post('/api/auth/check_code',
    { account => '13700000003', code => $c3 });
is($j->{code}, 10008, 'the shop code in "": 10008');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13700000003', code => $c3, password => 'secret333' });
is($j->{code}, 10008, '... cannot register in ""');
is($t->db_value(q{SELECT count(*) FROM users WHERE phone = '13700000003'}), 0,
    '... no user');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13700000003', code => $c3, password => 'secret333' },
    { -app => 'shop' });
is($j->{code}, 0, '... registers in shop');
is($t->db_value(q{SELECT app_id FROM users WHERE phone = '13700000003'}),
    'shop', '... as a shop user');

$t->stop;
done_testing;

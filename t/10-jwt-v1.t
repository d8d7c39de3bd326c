#!/usr/bin/perl

# 10-jwt-v1.t: the v1 credential (seeds/003, API.md v1).  HS256 JWTs under
# a key per app; every attack the brief names is tried on a JWT route
# (GET /api/user/message): no token, alg none, HS512, a bad signature,
# another app's key, an expired token, a refresh token as an access token
# and back, tokens from before a password change, a disabled or unknown
# user, a session token on a v1 route.  Tokens are signed here in Perl
# with the key derived from the harness's secret.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use FeatV1 qw(app_key jwt_sign jwt_parts jwt_payload access_json login_v1
    v1_auth);
use MIME::Base64 qw(encode_base64url);
use Test::More;

my $t = FeatTest->new();
my ($st, $h, $j, $rc, $out, $err);
my $phone = '13900000001';
my $path = '/api/user/message';

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'featctl app add shop') or diag($err);

# ---- the tokens get_token hands out ----------------------------------------

my $now = time;
my $m = login_v1($t, $phone);
my $uid = $t->db_value(q{SELECT id FROM users WHERE phone = ? AND app_id = ''},
    $phone);
ok($uid, 'v1 code login signed the account up');

my ($hdr, $pl) = jwt_parts($m->{token});
is($hdr, '{"alg":"HS256","typ":"JWT"}', 'header is HS256/JWT');
like($pl, qr/^\{"token_type":"token","user_id":$uid,"token_time":\d+\}$/,
    'access payload exactly the seed\'s keys, in order');
my $p = jwt_payload($m->{token});
ok(abs($p->{token_time} - ($now + 604800)) <= 5, '... token_time = now + 604800');
($hdr, $pl) = jwt_parts($m->{refresh_token});
like($pl,
    qr/^\{"token_type":"refresh_token","user_id":$uid,"token_time":\d+\}$/,
    'refresh payload');
ok(abs(jwt_payload($m->{refresh_token})->{token_time} - ($now + 1209600)) <= 5,
    '... token_time = now + 1209600');
is(jwt_sign($t, $pl, alg => 'HS256') =~ s/^[^.]+\.//r,
    ($m->{refresh_token} =~ s/^[^.]+\.//r),
    'the key is HMAC-SHA256(secret, "jwt:" . app)');

($st, $h, $j) = $t->get($path, v1_auth($m->{token}));
is($j->{code}, 0, 'bare JWT: 0');
is($j->{message}{user_id}, $uid, '... the user');
($st, $h, $j) = $t->get($path, { Authorization => "Bearer $m->{token}" });
is($j->{code}, 0, 'Bearer JWT: 0');
($st, $h, $j) = $t->get($path, { Authorization => "bearer  $m->{token} " });
is($j->{code}, 0, 'bearer, any case and spacing: 0');

# ---- missing and malformed --------------------------------------------------

($st, $h, $j) = $t->get($path);
is($st, 200, 'no Authorization: HTTP 200');
is($j->{code}, 10021, '... 10021');
ok(length($j->{message}), '... with a message');
is_deeply([ sort keys %$j ], [qw(code message)], '... the v1 error form');
($st, $h, $j) = $t->get($path, { Authorization => 'Bearer' });
is($j->{code}, 10021, '"Bearer" alone: 10021');
($st, $h, $j) = $t->get($path, { Authorization => '   ' });
is($j->{code}, 10021, 'blank: 10021');
($st, $h, $j) = $t->get($path, { Authorization => 'x.y.z' });
is($j->{code}, 10001, 'garbage: 10001');
($st, $h, $j) = $t->get($path, { Authorization => 'A' x 5000 });
is($j->{code}, 10001, 'a 5000-byte token: 10001');

# ---- algorithm and signature attacks -----------------------------------------

my $good = access_json($uid, time + 3600);
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, $good)));
is($j->{code}, 0, 'a token signed here with the derived key: 0');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, $good, alg => 'none')));
is($j->{code}, 10001, 'alg none: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, $good, alg => 'none',
    header => '{"alg":"none"}')));
is($j->{code}, 10001, 'alg none, bare header: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, $good, alg => 'HS512')));
is($j->{code}, 10001, 'HS512 with the right key: 10001');
my $hs = jwt_sign($t, $good, header => '{"alg":"HS512","typ":"JWT"}');
($st, $h, $j) = $t->get($path, v1_auth($hs));
is($j->{code}, 10001, 'header says HS512, signed HS256: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, $good,
    header => '{"alg":"hs256","typ":"JWT"}')));
is($j->{code}, 10001, 'alg "hs256": 10001');
my $tok = jwt_sign($t, $good);
my $flip = substr($tok, 0, -2) . (substr($tok, -2, 1) eq 'A' ? 'B' : 'A')
    . substr($tok, -1);
($st, $h, $j) = $t->get($path, v1_auth($flip));
is($j->{code}, 10001, 'bad signature: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, $good,
    key => 'not the key')));
is($j->{code}, 10001, 'another key: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, $good, app => 'shop')));
is($j->{code}, 10001, 'signed with the key of app shop: 10001 in ""');
my $shop = login_v1($t, $phone, app => 'shop');
($st, $h, $j) = $t->get($path, v1_auth($shop->{token}));
is($j->{code}, 10001, 'a JWT of app shop: 10001 in ""');
($st, $h, $j) = $t->get($path, v1_auth($shop->{token}, -app => 'shop'));
is($j->{code}, 0, '... and 0 in shop');
isnt($j->{message}{user_id}, $uid, '... its own user there');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    access_json($uid, time + 3600), app => 'shop'), -app => 'shop'));
is($j->{code}, 10001, 'user id of "" in a shop-signed token: 10001');

# ---- payload checks ---------------------------------------------------------------

($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    access_json($uid, time - 10))));
is($j->{code}, 10005, 'expired (token_time in the past): 10005');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    access_json($uid, time + 3600, 'refresh_token'))));
is($j->{code}, 10001, 'a refresh token as access: 10001');
($st, $h, $j) = $t->get($path, v1_auth($m->{refresh_token}));
is($j->{code}, 10001, '... the issued refresh token: 10001');
($st, $h, $j) = $t->put('/api/reset_token',
    { refresh_token => $m->{token} });
is($j->{code}, 10001, 'an access token at reset_token: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    sprintf('{"token_type":"token","user_id":"%s","token_time":%d}',
        $uid, time + 3600))));
is($j->{code}, 10001, 'user_id as a string: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    sprintf('{"token_type":"token","user_id":%s}', $uid))));
is($j->{code}, 10001, 'no token_time: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    access_json(999999, time + 3600))));
is($j->{code}, 10001, 'an unknown user: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t, '[1,2]')));
is($j->{code}, 10001, 'a payload that is no object: 10001');

# ---- sessions are not v1 credentials ------------------------------------------------

my $v2 = $t->register_v2('13900000002', 'password2');
($st, $h, $j) = $t->get($path, v1_auth($v2->{access_token}));
is($j->{code}, 10001, 'a v2 session token, bare: 10001');
($st, $h, $j) = $t->get($path, { -token => $v2->{access_token} });
is($j->{code}, 10001, '"Token <session>": 10001');
($st, $h, $j) = $t->get('/api/personal/info', { Authorization =>
    "Bearer $m->{token}" });
is($j->{code}, 10004, 'a v1 JWT on a v2 route: 10004');

# ---- disabled user ---------------------------------------------------------------------

$t->dbh->do('UPDATE users SET is_active = 0 WHERE id = ?', undef, $uid);
($st, $h, $j) = $t->get($path, v1_auth($m->{token}));
is($j->{code}, 10001, 'a disabled user\'s JWT: 10001');
$t->dbh->do('UPDATE users SET is_active = 1 WHERE id = ?', undef, $uid);
($st, $h, $j) = $t->get($path, v1_auth($m->{token}));
is($j->{code}, 0, '... enabled again: 0');

# ---- a password change ends the JWTs issued before it ---------------------------------

my $before = $m;
($st, $h, $j) = $t->put('/api/user/reset_password',
    { user_password => 'brand-new-1' }, v1_auth($before->{token}));
is($j->{code}, 0, 'reset_password: 0');
is($j->{message}, 'reset_password success', '... the seed\'s message');
my $changed = $t->db_value('SELECT password_changed_at FROM users WHERE id = ?',
    $uid);
ok($changed >= $now, '... password_changed_at stamped');
($st, $h, $j) = $t->get($path, v1_auth($before->{token}));
is($j->{code}, 10001, 'the access JWT from before: 10001');
($st, $h, $j) = $t->put('/api/reset_token',
    { refresh_token => $before->{refresh_token} });
is($j->{code}, 10001, 'the refresh JWT from before: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    access_json($uid, $changed + 604800))));
is($j->{code}, 10001, 'issued in the second of the change: 10001');
($st, $h, $j) = $t->get($path, v1_auth(jwt_sign($t,
    access_json($uid, $changed + 1 + 604800))));
is($j->{code}, 0, 'issued a second after: 0');

($st, $h, $j) = $t->get("/api/get_token?account=$phone&password=brand-new-1");
is($j->{code}, 0, 'log in with the new password: 0');
is($j->{message}{permission}, 0, '... permission 0');
my $after = $j->{message};
ok(jwt_payload($after->{token})->{token_time} - 604800 > $changed,
    '... issued after the change, even in the same second');
($st, $h, $j) = $t->get($path, v1_auth($after->{token}));
is($j->{code}, 0, '... its JWT works at once');

$t->stop;
done_testing;

#!/usr/bin/perl

# 10-oauth2.t: the OAuth2 provider through nginx: /o/token/ with the
# password, refresh_token and client_credentials grants (form and JSON,
# HTTP Basic and body credentials), every error of seeds/002's list
# provoked by a real request, the device rule, scopes, rotation and
# revocation seen through /o/introspect/, and /o/revoke_token/.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use MIME::Base64 qw(encode_base64);
use FeatTest;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'code.resend_interval' => 0, 'login.ip_max_failures' => 1000);
my ($st, $h, $j, $rc, $out, $err);

my $PHONE = '13700000001';
my $PASS = 'oauth-pass';

sub client_add {
    my (@args) = @_;
    my ($c, $o, $e) = $t->featctl('--json', 'oauth-client', 'add', @args);

    die "oauth-client add: $e" if $c != 0;
    return FeatTest::json()->decode($o);
}

sub basic {
    my ($c) = @_;

    return { Authorization => 'Basic '
        . encode_base64("$c->{client_id}:$c->{client_secret}", '') };
}

sub form {
    my (%p) = @_;

    return join('&', map { "$_=" . url($p{$_}) } sort keys %p);
}

sub url {
    my ($s) = @_;

    $s =~ s/([^A-Za-z0-9._~-])/sprintf('%%%02X', ord($1))/ge;
    return $s;
}

# POST a form to an /o/ endpoint with client c by Basic.
sub opost {
    my ($path, $c, %p) = @_;
    my $hd = $c ? basic($c) : {};

    $hd->{'Content-Type'} = 'application/x-www-form-urlencoded';
    return $t->post($path, form(%p), $hd);
}

sub oauth_error {
    my ($label, $status, $error, $desc) = @_;

    is($st, $status, "$label: $status");
    is($j->{error}, $error, "$label: $error");
    is($j->{error_description}, $desc, "$label: \"$desc\"") if defined $desc;
    is($h->{'cache-control'}, 'no-store', "$label: Cache-Control no-store");
}

sub introspect {
    my ($c, $token) = @_;
    my ($s, undef, $d) = opost('/o/introspect/', $c, token => $token);

    return $d;
}

my $c1 = client_add('mobile', '--grants',
    'password refresh_token client_credentials', '--scopes', 'read write');
my $c2 = client_add('robot', '--grants', 'client_credentials',
    '--scopes', 'read');
like($c1->{client_id}, qr/^[0-9A-Za-z]{32}$/, 'client ids are random base62');
like($c1->{client_secret}, qr/^[0-9A-Za-z]{48}$/, 'secrets are 48 base62');

my $reg = $t->register_v2($PHONE, $PASS);
my $uid = $t->db_value('SELECT id FROM users WHERE phone = ?', $PHONE);

# ---- password grant ---------------------------------------------------------

my %pw = (grant_type => 'password', username => $PHONE, password => $PASS,
    device_id => 'dev-1');

($st, $h, $j) = opost('/o/token/', $c1, %pw);
is($st, 200, 'password grant (form, Basic): 200');
is_deeply([ sort keys %$j ],
    [qw(access_token expires_in refresh_token scope token_type)],
    '... the RFC 6749 answer');
is($j->{token_type}, 'Bearer', '... token_type Bearer');
is($j->{expires_in}, 604800, '... expires_in');
is($j->{scope}, 'read write', '... all of the client\'s scopes');
is($h->{'cache-control'}, 'no-store', '... Cache-Control: no-store');
is($h->{pragma}, 'no-cache', '... Pragma: no-cache');
my $tok1 = $j;
my $row = $t->db_row('SELECT * FROM sessions WHERE access_hash = ?',
    sha256_hex($tok1->{access_token}));
is($row->{user_id}, $uid, '... a session of the user');
is($row->{client_id}, $t->db_value(
    'SELECT id FROM oauth2_client WHERE client_id = ?', $c1->{client_id}),
    '... carrying the client');
is($row->{device_id}, 'dev-1', '... and the device');
is($row->{scope}, 'read write', '... and the scope');

($st, $h, $j) = $t->get('/api/user/profile/',
    { Authorization => "Bearer $tok1->{access_token}" });
is($st, 200, 'the access token works on a feat route');

# JSON body, credentials in the body, another device, "+86" username
($st, $h, $j) = $t->post('/o/token/', { %pw, username => "+86$PHONE",
    device_id => 'dev-2', client_id => $c1->{client_id},
    client_secret => $c1->{client_secret} });
is($st, 200, 'password grant (JSON, body credentials, +86 username): 200');
my $tok2 = $j;
ok(introspect($c1, $tok1->{access_token})->{active},
    '... the token of another device stays active');

# the same client, user and device: the previous session is revoked
($st, $h, $j) = opost('/o/token/', $c1, %pw, scope => 'read');
is($st, 200, 'a new grant for dev-1 with scope read: 200');
is($j->{scope}, 'read', '... scope read');
my $tok3 = $j;
is_deeply(introspect($c1, $tok1->{access_token}), { active => JSON::PP::false },
    '... the previous dev-1 token is inactive');
($st, $h, $j) = $t->get('/api/user/profile/',
    { Authorization => "Bearer $tok1->{access_token}" });
is($st, 401, '... and refused on a feat route');
ok(introspect($c1, $tok2->{access_token})->{active}, '... dev-2 untouched');

# scope read: GET yes, PATCH no
($st, $h, $j) = $t->get('/api/user/profile/',
    { Authorization => "Bearer $tok3->{access_token}" });
is($st, 200, 'scope read: GET profile 200');
($st, $h, $j) = $t->patch('/api/user/profile/', { nickname => 'n' },
    { Authorization => "Bearer $tok3->{access_token}" });
is($st, 403, 'scope read: PATCH profile 403');
is($j->{code}, 'insufficient_scope', '... insufficient_scope');

# an email username
my $mail = $t->register_v2('oauth@example.com', $PASS);
($st, $h, $j) = opost('/o/token/', $c1, %pw, username => 'OAuth@example.com');
is($st, 200, 'password grant with an email username: 200');

# ---- every error of the seed's list -----------------------------------------

($st, $h, $j) = opost('/o/token/', $c1, %pw, device_id => '');
oauth_error('password grant without device_id', 400, 'invalid_request',
    'device_id is required');
is_deeply([ sort keys %$j ], [qw(error error_description)],
    '... an RFC 6749 §5.2 body');
my %nodev = %pw;
delete $nodev{device_id};
($st, $h, $j) = opost('/o/token/', $c1, %nodev);
oauth_error('... absent device_id', 400, 'invalid_request',
    'device_id is required');
($st, $h, $j) = opost('/o/token/', $c1, password => $PASS);
oauth_error('no grant_type', 400, 'invalid_request');
($st, $h, $j) = opost('/o/token/', $c1, %pw, password => '');
oauth_error('no password', 400, 'invalid_request');
($st, $h, $j) = $t->post('/o/token/', form(%pw,
    client_secret => $c1->{client_secret}),
    { %{ basic($c1) }, 'Content-Type' => 'application/x-www-form-urlencoded' });
oauth_error('Basic and client_secret at once', 400, 'invalid_request');
($st, $h, $j) = $t->post('/o/token/?' . form(%pw), undef, basic($c1));
oauth_error('parameters in the URL', 400, 'invalid_request');
($st, $h, $j) = $t->post('/o/token/', '{"grant_type":', basic($c1));
oauth_error('malformed JSON', 400, 'invalid_request');
# the runtime's JSON parser, with its nesting cap: a body that would pass
# as a valid grant but for one field nested 100 deep is refused
($st, $h, $j) = $t->post('/o/token/',
    '{"grant_type":"client_credentials","x":' . ('[' x 100) . (']' x 100)
    . '}', { %{ basic($c2) }, 'Content-Type' => 'application/json' });
oauth_error('JSON nested 100 deep', 400, 'invalid_request',
    'body: malformed JSON');
($st, $h, $j) = $t->post('/o/token/',
    '{"grant_type":"client_credentials","x":' . ('[' x 10) . (']' x 10)
    . '}', { %{ basic($c2) }, 'Content-Type' => 'application/json' });
is($st, 200, '... while 10 deep is a grant like any other');
($st, $h, $j) = $t->post('/o/token/', '["client_credentials"]',
    { %{ basic($c2) }, 'Content-Type' => 'application/json' });
oauth_error('a JSON array', 400, 'invalid_request',
    'body: must be a JSON object');
($st, $h, $j) = $t->post('/o/token/', 'grant_type=client_credentials',
    { %{ basic($c2) }, 'Content-Type' => 'text/plain' });
oauth_error('a text/plain body', 400, 'invalid_request',
    'the body must be a form or a JSON object');
($st, $h, $j) = $t->post('/o/token/',
    form(%pw) . '&grant_type=client_credentials',
    { %{ basic($c1) }, 'Content-Type' => 'application/x-www-form-urlencoded' });
oauth_error('a repeated parameter', 400, 'invalid_request');

($st, $h, $j) = opost('/o/token/', undef, %pw);
oauth_error('no client credentials', 401, 'invalid_client');
is($h->{'www-authenticate'}, 'Basic realm="featcgi"',
    '... WWW-Authenticate: Basic realm="featcgi"');
($st, $h, $j) = opost('/o/token/', { %$c1, client_secret => 'x' x 48 }, %pw);
oauth_error('a wrong secret', 401, 'invalid_client');
is($h->{'www-authenticate'}, 'Basic realm="featcgi"', '... WWW-Authenticate');
($st, $h, $j) = opost('/o/token/', { %$c1, client_id => 'nobody' }, %pw);
oauth_error('an unknown client', 401, 'invalid_client');
($st, $h, $j) = $t->post('/o/token/', form(%pw),
    { Authorization => 'Basic !!!',
      'Content-Type' => 'application/x-www-form-urlencoded' });
oauth_error('malformed Basic', 401, 'invalid_client');

($st, $h, $j) = opost('/o/token/', $c1, %pw, password => 'wrong-pass');
oauth_error('a wrong password', 400, 'invalid_grant');
($st, $h, $j) = opost('/o/token/', $c1, %pw, username => '13700000099');
oauth_error('an unknown user', 400, 'invalid_grant');
($st, $h, $j) = opost('/o/token/', $c1, grant_type => 'refresh_token',
    refresh_token => 'y' x 50);
oauth_error('an unknown refresh token', 400, 'invalid_grant');

($st, $h, $j) = opost('/o/token/', $c2, %pw);
oauth_error('a grant the client may not use', 400, 'unauthorized_client');

($st, $h, $j) = opost('/o/token/', $c1, %pw,
    grant_type => 'authorization_code');
oauth_error('grant_type authorization_code', 400, 'unsupported_grant_type');
($st, $h, $j) = opost('/o/token/', $c1, %pw, grant_type => 'magic');
oauth_error('grant_type magic', 400, 'unsupported_grant_type');

($st, $h, $j) = opost('/o/token/', $c1, %pw, scope => 'read pay_trade_order');
oauth_error('a scope beyond the client\'s', 400, 'invalid_scope');
($st, $h, $j) = opost('/o/token/', $c2, grant_type => 'client_credentials',
    scope => 'write');
oauth_error('client_credentials beyond its scopes', 400, 'invalid_scope');
($st, $h, $j) = opost('/o/token/', $c1, %pw, scope => "read \"x\"");
oauth_error('a malformed scope', 400, 'invalid_scope');

# ---- refresh_token grant ----------------------------------------------------

($st, $h, $j) = opost('/o/token/', $c1, grant_type => 'refresh_token',
    refresh_token => $tok2->{refresh_token});
is($st, 200, 'refresh grant: 200');
my $tok4 = $j;
isnt($tok4->{access_token}, $tok2->{access_token}, '... a new access token');
is($tok4->{scope}, 'read write', '... the session\'s scope');
ok(!introspect($c1, $tok2->{access_token})->{active},
    '... introspection: the old access token is inactive');
my $info = introspect($c1, $tok4->{access_token});
ok($info->{active}, '... the new one active');
is($info->{client_id}, $c1->{client_id}, '... client_id');
is($info->{username}, $PHONE, '... username');
is($info->{scope}, 'read write', '... scope');
is($info->{token_type}, 'Bearer', '... token_type');
ok($info->{exp} > time, '... exp');

($st, $h, $j) = opost('/o/token/', $c2, grant_type => 'refresh_token',
    refresh_token => $tok4->{refresh_token});
is($st, 400, 'another client\'s refresh token: 400');
ok(introspect($c1, $tok4->{access_token})->{active},
    '... and it did not burn the session');

# The first-party refresh endpoints rotate first-party sessions only: a
# client's refresh token there is unknown and burns nothing.
for my $path ('/api/auth/refresh/', '/api/auth/refresh_token') {
    my ($rst, $rh, $rj) = $t->post($path,
        { refresh_token => $tok4->{refresh_token} });
    ok($path =~ m{/$} ? $rst == 401 : $rj->{code} == 10004,
        "$path refuses a client's refresh token");
    ok(introspect($c1, $tok4->{access_token})->{active},
        '... and the session stays live');
}
is($t->db_value('SELECT count(*) FROM session_rotated r JOIN sessions s'
        . ' ON s.id = r.session_id WHERE s.client_id IS NOT NULL'
        . ' AND r.refresh_hash = ?', sha256_hex($tok4->{refresh_token})), 0,
    '... nor was its refresh token rotated away');

($st, $h, $j) = opost('/o/token/', $c1, grant_type => 'refresh_token',
    refresh_token => $tok4->{refresh_token}, scope => 'read pay_trade_order');
oauth_error('refresh widening the scope', 400, 'invalid_scope');

($st, $h, $j) = opost('/o/token/', $c1, grant_type => 'refresh_token',
    refresh_token => $tok2->{refresh_token});
is($st, 200, 'the rotated refresh token within the grace: 200');
is($j->{access_token}, $tok4->{access_token}, '... the same pair again');
$t->dbh->do('UPDATE session_rotated SET rotated_at = rotated_at - 100');
($st, $h, $j) = opost('/o/token/', $c1, grant_type => 'refresh_token',
    refresh_token => $tok2->{refresh_token});
oauth_error('the rotated refresh token after the grace', 400, 'invalid_grant');
ok(!introspect($c1, $tok4->{access_token})->{active},
    '... reuse revoked the whole family (introspection)');

# narrowing on refresh
($st, $h, $j) = opost('/o/token/', $c1, %pw, device_id => 'dev-3');
($st, $h, $j) = opost('/o/token/', $c1, grant_type => 'refresh_token',
    refresh_token => $j->{refresh_token}, scope => 'read');
is($j->{scope}, 'read', 'refresh narrowing the scope to read');
is(introspect($c1, $j->{access_token})->{scope}, 'read', '... introspected');

# ---- client_credentials -----------------------------------------------------

($st, $h, $j) = opost('/o/token/', $c2, grant_type => 'client_credentials');
is($st, 200, 'client_credentials: 200');
is($j->{scope}, 'read', '... the client\'s scopes');
ok(!exists $j->{refresh_token}, '... no refresh token (RFC 6749 §4.4.3)');
my $ctok = $j->{access_token};
is($t->db_value('SELECT user_id FROM sessions WHERE access_hash = ?',
    sha256_hex($ctok)), undef, '... a session without a user');
$info = introspect($c2, $ctok);
ok($info->{active} && !exists $info->{username},
    '... introspection: active, no username');
($st, $h, $j) = $t->get('/api/user/profile/',
    { Authorization => "Bearer $ctok" });
is($st, 403, '... a user route refuses it: 403');

# ---- lockout: invalid_grant "too many attempts" -----------------------------

for my $i (1 .. 5) {
    opost('/o/token/', $c1, %pw, password => 'wrong-pass');
}
($st, $h, $j) = opost('/o/token/', $c1, %pw);
oauth_error('the right password after 5 failures', 400, 'invalid_grant',
    'too many attempts');
$t->dbh->do(q{DELETE FROM rate_events WHERE bucket LIKE 'login_fail%'});

# ---- introspection across clients and apps ----------------------------------

($st, $h, $j) = opost('/o/token/', $c1, %pw, device_id => 'dev-9');
my $tok9 = $j;
is_deeply(introspect($c2, $tok9->{access_token}),
    { active => JSON::PP::false }, 'introspect another client\'s token: false');
is_deeply(introspect($c1, $reg->{access_token}),
    { active => JSON::PP::false }, 'introspect a v2 session: false');
is_deeply(introspect($c1, 'z' x 50), { active => JSON::PP::false },
    'introspect an unknown token: false');
my $info_r = introspect($c1, $tok9->{refresh_token});
is($info_r->{token_type}, 'refresh_token', 'introspect a refresh token');
($st, $h, $j) = opost('/o/introspect/', undef, token => $tok9->{access_token});
oauth_error('introspect without client authentication', 401,
    'invalid_client');
($st, $h, $j) = opost('/o/introspect/', $c1);
oauth_error('introspect without a token', 400, 'invalid_request');

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'app shop added') or diag($err);
my $cs = client_add('shop-app', '--app', 'shop');
($st, $h, $j) = $t->post('/o/introspect/', form(token => $tok9->{access_token}),
    { %{ basic($cs) }, 'Content-Type' => 'application/x-www-form-urlencoded',
      -app => 'shop' });
is_deeply($j, { active => JSON::PP::false },
    'introspect in app shop a token of app "": false');
($st, $h, $j) = $t->post('/o/token/', form(%pw),
    { %{ basic($c1) }, 'Content-Type' => 'application/x-www-form-urlencoded',
      -app => 'shop' });
oauth_error('a client of app "" in app shop', 401, 'invalid_client');

# ---- revocation -------------------------------------------------------------

($st, $h, $j) = opost('/o/revoke_token/', $c2, token => $tok9->{access_token});
is($st, 200, 'revoke by another client: 200');
ok(introspect($c1, $tok9->{access_token})->{active}, '... but nothing revoked');
($st, $h, $j) = opost('/o/revoke_token/', $c1, token => 'q' x 50);
is($st, 200, 'revoke an unknown token: 200');
($st, $h, $j) = opost('/o/revoke_token/', undef,
    token => $tok9->{access_token});
oauth_error('revoke without client authentication', 401, 'invalid_client');
($st, $h, $j) = opost('/o/revoke_token/', $c1, token => $tok9->{refresh_token});
is($st, 200, 'revoke by the owner (refresh token): 200');
ok(!introspect($c1, $tok9->{access_token})->{active},
    '... the access token of the grant is inactive');
($st, $h, $j) = opost('/o/token/', $c1, grant_type => 'refresh_token',
    refresh_token => $tok9->{refresh_token});
oauth_error('refresh with a revoked token', 400, 'invalid_grant');

$t->stop;
done_testing;

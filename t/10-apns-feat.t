#!/usr/bin/perl

# 10-apns-feat.t: APNs device tokens (API.md "APNs device tokens",
# seeds/000): PUT validates and lower-cases, upserts by token value and
# moves a token between users of an app, a user holds several; DELETE
# removes one of the caller's (204) and another's answers 404.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new();
my ($st, $h, $j);
my $path = '/api/user/apns-device-token/';

my $a = $t->register_v2('18656662001', 'secret2001')->{access_token};
my $b = $t->register_v2('18656662002', 'secret2002')->{access_token};
my $uid_a = $t->db_value(q{SELECT id FROM users WHERE phone = '18656662001'});
my $uid_b = $t->db_value(q{SELECT id FROM users WHERE phone = '18656662002'});

sub tokens_of {
    my ($uid) = @_;

    return [ map { $_->{token} } @{ $t->db_rows(
        'SELECT token FROM apns_device WHERE user_id = ? ORDER BY token',
        $uid) } ];
}

my $tok1 = 'AB' x 32;               # 64 hex digits, upper case
my $tok2 = '0123456789abcdef' x 5;  # 80
my $tok3 = 'f' x 200;

# ---- PUT -----------------------------------------------------------------

($st, $h, $j) = $t->put($path, { device_token => $tok1 }, { -token => $a });
is($st, 200, 'PUT a 64-digit token: 200');
is($j->{data}{device_token}, lc $tok1, '... answered lower-cased');
ok(JSON::PP::is_bool($j->{data}{sandbox}) && !$j->{data}{sandbox},
    '... sandbox false by default');
like($j->{data}{created_at}, qr/T\d\d:\d\d:\d\d\+08:00$/, '... feat time');
my $row = $t->db_row('SELECT * FROM apns_device WHERE token = ?', lc $tok1);
is($row->{user_id}, $uid_a, '... stored for A');
is($row->{app_id}, '', '... in the default app');
is($row->{sandbox}, 0, '... sandbox 0');

($st, $h, $j) = $t->put($path, { device_token => $tok2, sandbox => \1 },
    { -token => $a });
is($st, 200, 'PUT a second token with sandbox: 200');
ok($j->{data}{sandbox}, '... sandbox true');
($st, $h, $j) = $t->put($path, { device_token => $tok3 }, { -token => $a });
is($st, 200, 'PUT a 200-digit token: 200');
is_deeply(tokens_of($uid_a), [ sort(lc $tok1, $tok2, $tok3) ],
    'A holds three tokens');

($st, $h, $j) = $t->put($path, { device_token => lc $tok1, sandbox => \1 },
    { -token => $a });
is($st, 200, 'PUT the same token again: 200');
is($t->db_value('SELECT count(*) FROM apns_device WHERE token = ?', lc $tok1),
    1, '... still one row');
is($t->db_value('SELECT sandbox FROM apns_device WHERE token = ?', lc $tok1),
    1, '... sandbox updated');

# ---- validation ----------------------------------------------------------

my $count = $t->db_value('SELECT count(*) FROM apns_device');
for my $bad ('a' x 62, 'a' x 63, 'a' x 65, 'a' x 202, ('g' x 64),
    ('a' x 62) . ' a', ('a' x 62) . '-a', '', 5, undef)
{
    my $show = defined $bad ? (length($bad) > 8
        ? length($bad) . ' characters' : "'$bad'") : 'null';
    ($st, $h, $j) = $t->put($path, { device_token => $bad },
        { -token => $a });
    is($st, 400, "PUT device_token $show: 400");
    is($j->{code}, 'invalid', '... invalid');
    ok($j->{errors}{device_token}, '... errors.device_token');
}
($st, $h, $j) = $t->put($path, {}, { -token => $a });
is($st, 400, 'PUT without device_token: 400');
($st, $h, $j) = $t->put($path, { device_token => 'b' x 64, sandbox => 'yes' },
    { -token => $a });
is($st, 400, 'PUT sandbox "yes": 400');
ok($j->{errors}{sandbox}, '... errors.sandbox');
is($t->db_value('SELECT count(*) FROM apns_device'), $count,
    'refused PUTs store nothing');

($st, $h, $j) = $t->put($path, { device_token => 'b' x 64 });
is($st, 401, 'PUT without a token: 401');
is($j->{code}, 'not_authenticated', '... not_authenticated');

# ---- move between users ----------------------------------------------------

($st, $h, $j) = $t->put($path, { device_token => $tok2 }, { -token => $b });
is($st, 200, 'B PUTs A\'s token: 200');
is_deeply(tokens_of($uid_b), [ $tok2 ], '... B holds it');
is_deeply(tokens_of($uid_a), [ sort(lc $tok1, $tok3) ], '... A no longer');
is($t->db_value('SELECT count(*) FROM apns_device WHERE token = ?', $tok2), 1,
    '... one row');

# ---- DELETE ----------------------------------------------------------------

($st, $h, $j) = $t->delete($path, { device_token => $tok2 },
    { -token => $a });
is($st, 404, "A DELETEs B's token: 404");
is($j->{code}, 'not_found', '... not_found');
is_deeply(tokens_of($uid_b), [ $tok2 ], '... B keeps it');

($st, $h, $j) = $t->delete($path, { device_token => uc $tok3 },
    { -token => $a });
is($st, 204, 'A DELETEs its own token (upper case): 204');
is($j, '', '... empty body');
is_deeply(tokens_of($uid_a), [ lc $tok1 ], '... that one gone, the other kept');

($st, $h, $j) = $t->delete($path, { device_token => $tok3 },
    { -token => $a });
is($st, 404, 'DELETE it again: 404');

($st, $h, $j) = $t->delete($path, { device_token => 'xyz' },
    { -token => $a });
is($st, 400, 'DELETE a malformed token: 400');
($st, $h, $j) = $t->delete($path, undef, { -token => $a });
is($st, 400, 'DELETE without a body: 400');
ok($j->{errors}{device_token}, '... errors.device_token');

# POST is the same upsert (the seed's create/update); DELETE also takes
# the token in the query string, for clients that send no DELETE body.
my $tok4 = 'c' x 66;
($st, $h, $j) = $t->post($path, { device_token => $tok4, sandbox => \1 },
    { -token => $a });
is($st, 200, 'POST a token: 200');
is($j->{data}{device_token}, $tok4, '... answered');
is($t->db_value('SELECT sandbox FROM apns_device WHERE token = ?', $tok4),
    1, '... stored with its sandbox flag');
is_deeply(tokens_of($uid_a), [ lc $tok1, $tok4 ], '... beside the other');

($st, $h, $j) = $t->delete("$path?device_token=$tok4", undef,
    { -token => $a });
is($st, 204, 'DELETE ?device_token=: 204');
is_deeply(tokens_of($uid_a), [ lc $tok1 ], '... that token gone');
($st, $h, $j) = $t->delete("$path?device_token=" . lc $tok1, undef,
    { -token => $b });
is($st, 404, "B DELETEs A's token by the query: 404");
is_deeply(tokens_of($uid_a), [ lc $tok1 ], '... A keeps it');

($st, $h, $j) = $t->get($path, { -token => $a });
is($st, 405, 'GET: 405');

$t->stop;
done_testing;

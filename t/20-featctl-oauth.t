#!/usr/bin/perl

# 20-featctl-oauth.t: featctl oauth-client add, list, rotate-secret and rm,
# their refusals, what they store (the secret only hashed), and what they
# do to a running install (a rotated secret stops working, a removed
# client's tokens are revoked).

use strict;
use warnings;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use MIME::Base64 qw(encode_base64);
use FeatTest;
use Test::More;

my $t = FeatTest->new();
my $JSON = FeatTest::json();
my ($rc, $out, $err, $st, $h, $j, $c, $row);

sub token {
    my ($id, $secret) = @_;

    return $t->post('/o/token/', 'grant_type=client_credentials',
        { Authorization => 'Basic ' . encode_base64("$id:$secret", ''),
          'Content-Type' => 'application/x-www-form-urlencoded' });
}

# ---- add --------------------------------------------------------------------

($rc, $out, $err) = $t->featctl('oauth-client', 'add', 'Mobile app');
is($rc, 0, 'add with defaults: exit 0') or diag($err);
like($out, qr/^client_id: [0-9A-Za-z]{32}$/m, '... prints the client_id');
like($out, qr/^client_secret: [0-9A-Za-z]{48}$/m, '... and the secret');
my ($secret0) = $out =~ /^client_secret: (\S+)$/m;
$row = $t->db_row(q{SELECT * FROM oauth2_client WHERE name = 'Mobile app'});
is($row->{grants}, 'password refresh_token', '... default grants');
is($row->{scopes}, 'read write', '... default scopes');
is($row->{app_id}, '', '... in the default app');
is($row->{secret_hash}, sha256_hex($secret0), '... the secret as SHA-256');
ok(!grep({ defined && index($_, $secret0) >= 0 } values %$row),
    '... and nowhere in plain text');

($rc, $out, $err) = $t->featctl('--json', 'oauth-client', 'add', 'robot',
    '--grants', 'client_credentials client_credentials',
    '--scopes', 'read  pay_trade_order');
is($rc, 0, 'add --json: exit 0') or diag($err);
$c = $JSON->decode($out);
is($c->{grants}, 'client_credentials', '... grants normalized');
is($c->{scopes}, 'read pay_trade_order', '... scopes normalized');

($st, $h, $j) = token($c->{client_id}, $c->{client_secret});
is($st, 200, 'the new client gets a token');
my $ctok = $j->{access_token};

for my $bad ([ 'a bad grant', 'x', '--grants', 'implicit' ],
    [ 'no grants', 'x', '--grants', '' ],
    [ 'a bad scope', 'x', '--scopes', 'read "w"' ],
    [ 'an empty name', '' ],
    [ 'an unknown app', 'x', '--app', 'nope' ])
{
    my ($label, @args) = @$bad;
    ($rc, $out, $err) = $t->featctl('oauth-client', 'add', @args);
    is($rc, 1, "add with $label: exit 1");
    like($err, qr/^featctl: /, '... with a reason');
}
($rc, $out, $err) = $t->featctl('oauth-client', 'add');
is($rc, 2, 'add without a name: usage, exit 2');
is($t->db_value('SELECT count(*) FROM oauth2_client'), 2,
    'no client added by a refused command');

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
($rc, $out, $err) = $t->featctl('--json', 'oauth-client', 'add', 'shop-app',
    '--app', 'shop');
is($rc, 0, 'add --app shop: exit 0');
my $cs = $JSON->decode($out);

# ---- list -------------------------------------------------------------------

($rc, $out, $err) = $t->featctl('--json', 'oauth-client', 'list');
is($rc, 0, 'list --json: exit 0');
my $rows = $JSON->decode($out);
is(scalar(@$rows), 3, '... three clients');
ok(!grep({ exists $_->{client_secret} || exists $_->{secret_hash} } @$rows),
    '... no secret shown');
my ($r) = grep { $_->{client_id} eq $c->{client_id} } @$rows;
is($r->{tokens}, 1, '... the robot holds one live token');
($rc, $out, $err) = $t->featctl('--json', 'oauth-client', 'list', '--app',
    'shop');
is_deeply([ map { $_->{name} } @{ $JSON->decode($out) } ], ['shop-app'],
    'list --app shop');
($rc, $out, $err) = $t->featctl('oauth-client', 'list');
like($out, qr/^APP\s+CLIENT_ID\s+NAME/, 'list: a table for people');

# ---- rotate-secret ----------------------------------------------------------

($rc, $out, $err) = $t->featctl('oauth-client', 'rotate-secret',
    $c->{client_id});
is($rc, 0, 'rotate-secret: exit 0');
my ($secret1) = $out =~ /^client_secret: ([0-9A-Za-z]{48})$/m;
ok(defined $secret1 && $secret1 ne $c->{client_secret}, '... a new secret');
($st, $h, $j) = token($c->{client_id}, $c->{client_secret});
is($st, 401, '... the old one fails: 401');
is($j->{error}, 'invalid_client', '... invalid_client');
($st, $h, $j) = token($c->{client_id}, $secret1);
is($st, 200, '... the new one works');
($rc, $out, $err) = $t->featctl('oauth-client', 'rotate-secret', 'nobody');
is($rc, 1, 'rotate-secret of an unknown client: exit 1');
($rc, $out, $err) = $t->featctl('oauth-client', 'rotate-secret',
    $cs->{client_id});
is($rc, 1, 'rotate-secret of a shop client without --app: exit 1');

# ---- rm ---------------------------------------------------------------------

($rc, $out, $err) = $t->featctl('oauth-client', 'rm', $c->{client_id});
is($rc, 0, 'rm: exit 0');
ok(!$t->db_value('SELECT count(*) FROM oauth2_client WHERE client_id = ?',
    $c->{client_id}), '... the row is gone');
ok(!$t->db_value('SELECT count(*) FROM sessions WHERE client_id IS NOT NULL'
    . ' AND revoked_at IS NULL AND app_id = ?', ''),
    '... its tokens are revoked');
($st, $h, $j) = $t->get('/api/user/profile/', { -token => $ctok });
is($st, 401, '... a token of it answers 401');
($rc, $out, $err) = $t->featctl('oauth-client', 'rm', $c->{client_id});
is($rc, 1, 'rm again: exit 1');
($rc, $out, $err) = $t->featctl('oauth-client', 'rm', $cs->{client_id},
    '--app', 'shop');
is($rc, 0, 'rm --app shop: exit 0');

$t->stop;
done_testing;

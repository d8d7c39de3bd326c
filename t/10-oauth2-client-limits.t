#!/usr/bin/perl

# 10-oauth2-client-limits.t: client authentication is no oracle (issue 12,
# finding 9).  An unknown client id is checked against a dummy secret with
# the same hash and compare as a wrong secret (the debug line each check
# logs is counted, no timing is measured), and wrong secrets are limited
# as wrong passwords are: login.max_failures per client id (then even the
# right secret is refused), login.ip_max_failures distinct clients and
# accounts per address (past it a failure answers locked, the right
# secret still passes) and login.ip_hard_limit failures per address.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use MIME::Base64 qw(encode_base64);
use FeatTest;
use Test::More;

my $t = FeatTest->new('login.max_failures' => 3,
    'login.ip_max_failures' => 2, 'login.ip_hard_limit' => 7,
    log_level => 'debug');
my $JSON = FeatTest::json();
my ($st, $h, $j);

sub client_add {
    my ($name) = @_;
    my ($c, $o, $e) = $t->featctl('--json', 'oauth-client', 'add', $name,
        '--grants', 'client_credentials', '--scopes', 'read');
    die "oauth-client add: $e" if $c != 0;
    return $JSON->decode($o);
}

sub token {
    my ($id, $secret) = @_;
    ($st, $h, $j) = $t->post('/o/token/', 'grant_type=client_credentials',
        { 'Content-Type' => 'application/x-www-form-urlencoded',
          Authorization => 'Basic ' . encode_base64("$id:$secret", '') });
    return $st;
}

sub checked {
    return scalar(grep { /oauth2: a client secret checked/ }
        $t->log_lines('featcgi-error.log'));
}

sub fails {
    my ($bucket, $key) = @_;
    return $t->db_value(q{SELECT count(*) FROM rate_events
        WHERE bucket = ? AND key = ?}, $bucket, $key);
}

sub tokens_of {
    my ($c) = @_;
    return $t->db_value(q{SELECT count(*) FROM sessions s JOIN oauth2_client c
        ON c.id = s.client_id WHERE c.client_id = ?}, $c->{client_id});
}

my $c1 = client_add('one');
my $c2 = client_add('two');
my $wrong = 'x' x 48;
my $FAILED = 'client authentication failed';
my $LOCKED = 'too many failed client authentications, retry later';
my $n;

# ---- an unknown client costs what a wrong secret costs -----------------------

$n = checked();
is(token('no-such-client', $wrong), 401, 'an unknown client: 401');
is($j->{error}, 'invalid_client', '... invalid_client');
is($j->{error_description}, $FAILED, "... \"$FAILED\"");
is(checked() - $n, 1, '... its secret was hashed and compared (a dummy)');

$n = checked();
is(token($c1->{client_id}, $wrong), 401, 'a wrong secret: 401');
is($j->{error_description}, $FAILED, '... the same answer');
is(checked() - $n, 1, '... the same work: one secret checked');

# ---- per client -------------------------------------------------------------

is(token($c1->{client_id}, $wrong), 401, 'a second wrong secret: 401');
is(token($c1->{client_id}, $wrong), 401, 'a third: 401');
is($j->{error_description}, $FAILED,
    "... still \"$FAILED\" (2 clients failed from the address)");
is(fails('login_fail_client', $c1->{client_id}), 3,
    '3 failures stored for the client');

$n = checked();
is(token($c1->{client_id}, $c1->{client_secret}), 401,
    'the right secret of a locked client: 401');
is($j->{error_description}, $LOCKED, "... \"$LOCKED\"");
is(checked(), $n, '... refused before the secret was checked');
is(tokens_of($c1), 0, '... no token');

# ---- per address ------------------------------------------------------------

is(token($c2->{client_id}, $wrong), 401,
    'another client, wrong secret: 401');
is($j->{error_description}, $LOCKED,
    '... locked: a third client failed from the address');
is(token($c2->{client_id}, $c2->{client_secret}), 200,
    '... its right secret still gets a token');
is(tokens_of($c2), 1, '... stored');
is(fails('login_fail_client', $c2->{client_id}), 0,
    '... its failure forgotten');
is(fails('login_fail_ip', '127.0.0.1'), 5, '5 failures for the address');

is(token('no-such-client-2', $wrong), 401, 'an unknown client: 401');
is(token('no-such-client-3', $wrong), 401, '... another: 401 (7 failures)');
$n = checked();
is(token($c2->{client_id}, $c2->{client_secret}), 401,
    'the right secret past the address\'s hard ceiling: 401');
is($j->{error_description}, $LOCKED, "... \"$LOCKED\"");
is(checked(), $n, '... refused before the secret was checked');
is(tokens_of($c2), 1, '... no new token');

$t->stop;
done_testing;

#!/usr/bin/perl

# 50-token-answers.t: every answer that carries credentials (session tokens,
# v1 JWTs, OAuth2 tokens, permit tokens) says "Cache-Control: no-store"
# (RFC 6749 §5.1), in every dialect, so no browser, app HTTP cache or
# proxy keeps a copy of a token.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new('code.resend_interval' => 0, 'code.hourly_limit' => 50,
    'code.daily_limit' => 50, 'code.ip_hourly_limit' => 100,
    'login.ip_max_failures' => 1000);
my ($st, $h, $j, $code);

sub no_store {
    my ($hh, $label) = @_;

    is($hh->{'cache-control'}, 'no-store', "$label: Cache-Control no-store");
}

# ---- v2 ----------------------------------------------------------------------

($st, $h, $j) = $t->post('/api/auth/send_code', { account => '13900000001' });
is($j->{code}, 0, 'v2 send_code');
$code = $t->code_for('13900000001');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => '13900000001', code => $code, password => 'secret-pw1' });
is($j->{code}, 0, 'v2 register');
ok($j->{data}{access_token}, '... a token');
no_store($h, 'v2 register');

($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13900000001', password => 'secret-pw1' });
is($j->{code}, 0, 'v2 access_token');
no_store($h, 'v2 access_token');
my $refresh = $j->{data}{refresh_token};

($st, $h, $j) = $t->post('/api/auth/refresh_token',
    { refresh_token => $refresh });
is($j->{code}, 0, 'v2 refresh_token');
no_store($h, 'v2 refresh_token');

# ---- v1 ----------------------------------------------------------------------

($st, $h, $j) = $t->get(
    '/api/get_token?account=13900000001&password=secret-pw1');
is($j->{code}, 0, 'v1 get_token');
ok($j->{message}{token}, '... a JWT');
no_store($h, 'v1 get_token');

($st, $h, $j) = $t->put('/api/reset_token',
    { refresh_token => $j->{message}{refresh_token} });
is($j->{code}, 0, 'v1 reset_token');
no_store($h, 'v1 reset_token');

done_testing;

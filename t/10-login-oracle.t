#!/usr/bin/perl

# 10-login-oracle.t: a password login costs the same work whether the
# account exists, has no password, or has a wrong one (issue 12, finding
# 9's oracles, for the accounts as for the clients): each checks one
# password at the configured scrypt parameters, counted by the debug line
# every check logs; no timing is measured.  The answers are unchanged
# (v2 tells an unknown account, as its seed does; OAuth2 does not).

use strict;
use warnings;
use utf8;

use lib 't/lib';
use MIME::Base64 qw(encode_base64);
use FeatTest;
use Test::More;

my $t = FeatTest->new(log_level => 'debug', 'code.resend_interval' => 0);
my $JSON = FeatTest::json();
my ($st, $h, $j);

my $KNOWN = '13700000301';
my $BARE = '13700000302';
my $UNKNOWN = '13700000399';
$t->register_v2($KNOWN, 'known-pass-1');
$t->register_v2($BARE, 'bare-pass-1');
# a stage: an account without a password, as a code sign-up leaves one
$t->dbh->do(q{UPDATE users SET password = '' WHERE phone = ?}, undef, $BARE);

sub checked {
    return scalar(grep { /scrypt: a password checked/ }
        $t->log_lines('featcgi-error.log'));
}

sub login_checks {
    my ($phone) = @_;
    my $n = checked();
    ($st, $h, $j) = $t->post('/api/auth/access_token',
        { account => $phone, password => 'wrong-pass-9' });
    return checked() - $n;
}

is(login_checks($KNOWN), 1, 'a wrong password: one password checked');
is($j->{code}, 10007, '... 10007');
is(login_checks($UNKNOWN), 1, 'an unknown account: one password checked');
is($j->{code}, 10006, '... 10006, as the seed answers');
is(login_checks($BARE), 1,
    'an account without a password: one password checked');
is($j->{code}, 10007, '... 10007');

my ($rc, $out, $err) = $t->featctl('--json', 'oauth-client', 'add', 'app',
    '--grants', 'password', '--scopes', 'read write');
die "oauth-client add: $err" if $rc != 0;
my $c = $JSON->decode($out);

sub grant_checks {
    my ($phone) = @_;
    my $n = checked();
    ($st, $h, $j) = $t->post('/o/token/', 'grant_type=password'
        . "&username=$phone&password=wrong-pass-9&device_id=d1",
        { 'Content-Type' => 'application/x-www-form-urlencoded',
          Authorization => 'Basic '
              . encode_base64("$c->{client_id}:$c->{client_secret}", '') });
    return checked() - $n;
}

is(grant_checks($KNOWN), 1, '/o/token/, a wrong password: one check');
my $known = $j;
is(grant_checks($UNKNOWN), 1, '/o/token/, an unknown account: one check');
is_deeply($j, $known, '... and the same answer');
is($st, 400, '... 400 invalid_grant');

$t->stop;
done_testing;

#!/usr/bin/perl

# 50-enumeration.t: API.md "Enumeration".  The seeds tell registered
# accounts apart on purpose, and v1 /check/register pays for each answer
# from the per-address allowance of code sends (code.ip_hourly_limit).
# Every other answer that tells a registered account from an unknown one
# must cost the same, and once the allowance is spent a registered and an
# unknown account must answer alike ("too frequent"), or the limit of
# /check/register protects nothing.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

my $LIMIT = 3;
my $t = FeatTest->new('code.ip_hourly_limit' => 100,
    'login.ip_max_failures' => 1000);
my ($st, $h, $j);

$t->register_v2('13700000001', 'secret-pw1');
my $known = '13700000001';
my $unknown = '13700000002';

$t->write_conf('code.ip_hourly_limit' => $LIMIT);
$t->signal('HUP');
sleep 2;

# Each probe answers a short outcome: "name" of the answer.
my %probes = (
    'v2 register' => sub {
        my ($acct) = @_;
        my (undef, undef, $jj) = $t->post('/api/auth/register',
            { account => $acct, code => '000000', password => 'whatever1' });
        return "v2 $jj->{code}";
    },
    'v2 access_token by code' => sub {
        my ($acct) = @_;
        my (undef, undef, $jj) = $t->post('/api/auth/access_token',
            { account => $acct, code => '000000' });
        return "v2 $jj->{code}";
    },
    'feat vcode login' => sub {
        my ($acct) = @_;
        # an unknown phone answers 404; a known one gets a code (counted)
        my ($s, undef, $jj) = $t->post('/api/auth/phone/vcode/',
            { phone => $acct, form_id => 'login' });
        return "feat $s $jj->{code}";
    },
    'feat vcode register' => sub {
        my ($acct) = @_;
        my ($s, undef, $jj) = $t->post('/api/auth/phone/vcode/',
            { phone => $acct, form_id => 'register' });
        return "feat $s $jj->{code}";
    },
    'feat verification register' => sub {
        my ($acct) = @_;
        my ($s, undef, $jj) = $t->post('/api/auth/phone/verification/',
            { phone => $acct, vcode => '000000', form_id => 'register' });
        return "feat $s $jj->{code}";
    },
    'feat verification login' => sub {
        my ($acct) = @_;
        my ($s, undef, $jj) = $t->post('/api/auth/phone/verification/',
            { phone => $acct, vcode => '000000', form_id => 'login' });
        return "feat $s $jj->{code}";
    },
);

# feat register checks the permit before the phone (issue 12): with a bad
# permit a registered and an unknown phone answer alike, so it tells
# nothing, and costs nothing either.
{
    my %a;
    for my $acct ($known, $unknown) {
        my ($s, undef, $jj) = $t->post('/api/auth/register/',
            { phone => $acct, password => 'whatever1',
              permit_token => 'x' x 40 });
        $a{$acct} = "feat $s $jj->{code}";
    }
    is($a{$known}, 'feat 400 invalid_permit_token',
        'feat register with a bad permit, a registered phone: 400'
        . ' invalid_permit_token');
    is($a{$unknown}, $a{$known}, '... an unknown one alike');
}

for my $name (sort keys %probes) {
    my $probe = $probes{$name};

    $t->dbh->do('DELETE FROM rate_events');
    $t->dbh->do('DELETE FROM codes');

    my $k = $probe->($known);
    my $u = $probe->($unknown);
    isnt($k, $u, "$name: tells the accounts apart ($k / $u)");

    # spend the allowance: whichever of the two answers is the revealing one
    # ("registered" or "not registered"), it is counted
    for (1 .. $LIMIT) {
        $probe->($known);
        $probe->($unknown);
    }

    my $k2 = $probe->($known);
    my $u2 = $probe->($unknown);
    is($k2, $u2, "$name: once the allowance is spent, both answer alike");
    like($k2, qr/^(v2 10010|feat 429 throttled)$/, "... too frequent ($k2)");
}

$t->stop;
done_testing;

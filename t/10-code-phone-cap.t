#!/usr/bin/perl

# 10-code-phone-cap.t: one phone number gets at most code.phone_daily_limit
# codes a day across every app of the install, on top of each app's own
# caps (issue 12, finding 4: N apps must not multiply what one number can
# be sent).  Four apps, each well within its own limits; the sixth code
# to the number is refused whichever app and dialect asks, nothing is
# stored or sent for it, and another number is not affected.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new(app_header => 'on', 'code.phone_daily_limit' => 5,
    'code.resend_interval' => 0, 'code.ip_hourly_limit' => 1000);
my ($st, $h, $j);
my $PHONE = '13700000123';
my $OTHER = '13700000124';

for my $app (qw(a1 a2 a3)) {
    my ($rc, $out, $err) = $t->featctl('app', 'add', $app);
    is($rc, 0, "featctl app add $app") or diag($err);
}

sub send_v2 {
    my ($app, $phone) = @_;
    my ($s, undef, $d) = $t->post('/api/auth/send_code',
        { account => $phone // $PHONE },
        { $app ne '' ? ('X-App-Id' => $app) : () });
    return $d->{code};
}

sub stored {
    return $t->db_value('SELECT count(*) FROM codes WHERE account = ?',
        '86:' . ($_[0] // $PHONE));
}

sub sent {
    my $to = '86' . ($_[0] // $PHONE);
    return scalar(grep { /\bto=\+?\Q$to\E\b/ } $t->log_lines('../sms.log'));
}

is(send_v2(''), 0, 'app "": code 1');
is(send_v2(''), 0, 'app "": code 2');
is(send_v2('a1'), 0, 'app a1: code 3');
is(send_v2('a1'), 0, 'app a1: code 4');
is(send_v2('a2'), 0, 'app a2: code 5');
is(stored(), 5, '5 codes stored for the number, in 3 apps');
is(sent(), 5, '... 5 sent');

is(send_v2('a3'), 10010,
    'app a3 (its first code for the number): 10010, the install cap');
($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => $PHONE, form_id => 'register' }, { 'X-App-Id' => 'a3' });
is($st, 429, 'feat vcode in a3: 429');
is($j->{code}, 'throttled', '... throttled');
is(send_v2(''), 10010, 'app "" again: 10010');
is(stored(), 5, '... nothing stored');
is(sent(), 5, '... nothing sent');

is(send_v2('a3', $OTHER), 0, 'another number in a3: 0');
is(stored($OTHER), 1, '... stored');

# a day later the number gets codes again
$t->dbh->do('UPDATE codes SET created_at = created_at - 86401');
is(send_v2('a3'), 0, 'a day later: 0');
is(stored(), 6, '... stored');

$t->stop;
done_testing;

#!/usr/bin/perl

# 10-login-address.t: many users behind one address (a carrier-grade NAT)
# are not locked out by one attacker among them (issue 12, finding 8).
# login.ip_max_failures counts the distinct accounts that failed from an
# address; past it a failure answers "locked" but the right password
# still logs in; past login.ip_hard_limit failures every login from the
# address is refused before any password is checked.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new('login.max_failures' => 5,
    'login.ip_max_failures' => 2, 'login.ip_hard_limit' => 8,
    'code.resend_interval' => 0, log_level => 'debug');
my ($st, $h, $j);

my %u = map { $_ => "1390000010$_" } 1 .. 5;
$t->register_v2($u{$_}, "pass-$_-right") for 1 .. 5;

sub login {
    my ($n, $pass) = @_;
    my ($st, $h, $j) = $t->post('/api/auth/access_token',
        { account => $u{$n} // $n, password => $pass });
    return $j->{code};
}

sub checked {
    return scalar(grep { /scrypt: a password checked/ }
        $t->log_lines('featcgi-error.log'));
}

sub fails_ip {
    return $t->db_value(q{SELECT count(*) FROM rate_events
        WHERE bucket = 'login_fail_ip' AND key = '127.0.0.1'});
}

sub sessions {
    my ($n) = @_;
    return $t->db_value('SELECT count(*) FROM sessions s JOIN users u'
        . ' ON u.id = s.user_id WHERE u.phone = ?', $u{$n});
}

# ---- one account failing again and again is one account -------------------

is(login(1, 'wrong-pass'), 10007, 'user 1, wrong password: 10007');
is(login(1, 'wrong-pass'), 10007, '... again: 10007');
is(login(1, 'wrong-pass'), 10007,
    '... a third time: still 10007 (one account failed from the address)');
is(fails_ip(), 3, '... 3 failures stored for the address');
is($t->db_value(q{SELECT count(DISTINCT key) FROM rate_events
    WHERE bucket = 'login_fail_ipacct'}), 1, '... of 1 account');

is(login(2, 'wrong-pass'), 10007, 'user 2, wrong password: 10007 (2 accounts)');
is(login(3, 'wrong-pass'), 10100, 'user 3, wrong password: 10100 (3 accounts)');

# ---- past the soft limit the right password still logs in -----------------

is(sessions(4), 1, 'user 4 has its registration\'s session');
is(login(4, 'pass-4-right'), 0,
    'user 4, right password, the address past its limit: 0');
is(sessions(4), 2, '... a new session');
is(fails_ip(), 5, '... and no failure counted for the address');

is(login('13911111111', 'whatever-pass'), 10100,
    'an unknown account past the limit: 10100');
is(fails_ip(), 6, '... counted for the address');

# ---- past the hard ceiling nothing gets through -----------------------------

is(login(5, 'wrong-pass'), 10100, 'user 5, wrong: 10100 (7 failures)');
is(login(5, 'wrong-pass'), 10100, '... again: 10100 (8 failures, the ceiling)');
is(fails_ip(), 8, '... 8 failures for the address');

my $before = checked();
is(login(4, 'pass-4-right'), 10100,
    'user 4, right password, past the hard ceiling: 10100');
is(checked(), $before, '... refused before any password was checked');
is(sessions(4), 2, '... no new session');
is(fails_ip(), 8, '... nothing more counted');

$t->stop;
done_testing;

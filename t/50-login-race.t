#!/usr/bin/perl

# 50-login-race.t: parallel wrong passwords get exactly login.max_failures
# checks (issue 12, finding 3).  The attempt is reserved in the rate table
# before the hash, so racing workers cannot all pass a check that counts
# only finished failures.  32 wrong guesses are sent at once (children
# released together), in waves until a whole wave is answered "locked";
# the passwords checked are counted by the debug line every scrypt
# verification logs, and by the failures stored.  No timing is asserted.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use POSIX ();
use FeatTest;
use Test::More;

# 4 workers in the hashing pool, 3 hashing at once, hashes that take a
# little while (ln 12) and may wait for a slot: many wrong guesses are in
# flight together.
my $t = FeatTest->new(workers => 2, hash_workers => 4, 'scrypt.ln' => 12,
    'scrypt.max_concurrent' => 3, 'scrypt.wait' => 10000,
    'login.max_failures' => 5, 'login.ip_max_failures' => 1000,
    'login.ip_hard_limit' => 1000, log_level => 'debug');
my $JSON = FeatTest::json();
my $PHONE = '13900000031';
my $N = 32;

$t->register_v2($PHONE, 'right-pass-1');

sub checked {
    return scalar(grep { /scrypt: a password checked/ }
        $t->log_lines('featcgi-error.log'));
}

# Sends $N wrong guesses at once; answers their [status, headers, data].
sub wave {
    my (@kids, @out);

    pipe(my $go_r, my $go_w) or die "pipe: $!";
    for my $i (1 .. $N) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork();
        die "fork: $!" if !defined $pid;
        if ($pid == 0) {
            close($r);
            close($go_w);
            my $x = <$go_r>;        # released together at EOF
            my @res = $t->post('/api/auth/access_token',
                { account => $PHONE, password => "wrong-pass-$i" });
            print {$w} $JSON->encode(\@res);
            close($w);
            POSIX::_exit(0);
        }
        close($w);
        push @kids, [ $pid, $r ];
    }
    close($go_r);
    close($go_w);
    for my $k (@kids) {
        my $fh = $k->[1];
        local $/;
        my $text = <$fh>;
        waitpid($k->[0], 0);
        push @out, $text ? $JSON->decode($text) : [ 0, {}, undef ];
    }
    return @out;
}

my $before = checked();
my ($wrong, $locked, $busy, $other, $waves) = (0, 0, 0, 0, 0);

for (1 .. 5) {
    my @res = wave();
    my $all_locked = 1;
    $waves++;
    for my $r (@res) {
        my ($st, $h, $j) = @$r;
        my $code = ref($j) eq 'HASH' ? $j->{code} : -1;
        if ($code == 10007) {
            $wrong++;
            $all_locked = 0;
        } elsif ($code == 10100 && defined $h->{'retry-after'}) {
            $busy++;            # no hashing slot: nothing checked
            $all_locked = 0;
        } elsif ($code == 10100) {
            $locked++;
        } else {
            $other++;
            $all_locked = 0;
            diag("unexpected answer $st " . $JSON->encode($j));
        }
    }
    last if $all_locked;
}

is(checked() - $before, 5,
    "$N parallel wrong guesses ($waves waves): exactly 5 passwords checked");
is($wrong, 5, '... exactly 5 answered wrong password (10007)');
is($other, 0, '... the others locked (10100) or refused busy');
ok($locked >= $N - 5 - $busy, "... $locked locked, $busy busy");
is($t->db_value(q{SELECT count(*) FROM rate_events
    WHERE bucket = 'login_fail' AND key = ?}, "86:$PHONE"), 5,
    '... 5 failures stored for the account');
is($t->db_value(q{SELECT count(*) FROM rate_events
    WHERE bucket = 'login_fail_ip'}), 5,
    '... 5 for the address (the refused attempts took theirs back)');
is($t->db_value(q{SELECT count(*) FROM sessions s JOIN users u
    ON u.id = s.user_id WHERE u.phone = ?}, $PHONE), 1,
    '... no session but the registration\'s');

# locked means locked: the right password too
my ($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $PHONE, password => 'right-pass-1' });
is($j->{code}, 10100, 'the right password while locked: 10100');
is(checked() - $before, 5, '... and no password checked for it');

$t->stop;
done_testing;

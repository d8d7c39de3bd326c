#!/usr/bin/perl

# 50-login-storm.t: password hashing never holds every worker (issue 15).
#
# With 2 workers at most one is ever in password work (scrypt.max_concurrent
# 1 here, and seats are workers - 1), so a login that arrives while another
# hashes is refused at once in the dialect's throttle form, with
# Retry-After: v2 10100, v1 10009, feat 429 throttled, OAuth2 invalid_grant.
# Each refusal is checked to have written nothing: no session, no failed-
# login count, no spent code, no changed password.  A read sent during
# the storm is answered.  No timing is asserted: a request under test is
# sent while a slow login hashes, and the pair is sent again (a few times
# at most) until the request under test met the busy slot.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use MIME::Base64 qw(encode_base64);
use POSIX ();
use Time::HiRes qw(sleep);
use FeatTest;
use Test::More;

# scrypt at ln 14, p 6: a few hundred ms a hash, so a second request
# finds the one slot busy.  scrypt.wait 0: no wait for the slot at all.
my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'code.resend_interval' => 0, 'login.ip_max_failures' => 1000,
    'scrypt.ln' => 14, 'scrypt.p' => 6, 'scrypt.max_concurrent' => 1,
    'scrypt.wait' => 0);
my $JSON = FeatTest::json();
my $TRIES = 8;

my $SLOW = '13900000001';       # the login that holds the slot
my $USER = '13900000002';       # the one whose requests are refused
my $PASS = 'storm-pass-1';

$t->register_v2($SLOW, $PASS);
my $reg = $t->register_v2($USER, $PASS);
my $uid = $t->db_value('SELECT id FROM users WHERE phone = ?', $USER);

# Runs each code ref in a child of its own, the first one first and the
# others a moment later (while the first hashes); answers each one's
# [status, headers, data] in order.
sub together {
    my (@subs) = @_;
    my (@kids, @out);

    for my $i (0 .. $#subs) {
        pipe(my $r, my $w) or die "pipe: $!";
        my $pid = fork();
        die "fork: $!" if !defined $pid;
        if ($pid == 0) {
            close($r);
            my @res = $subs[$i]->();
            print {$w} $JSON->encode(\@res);
            close($w);
            POSIX::_exit(0);
        }
        close($w);
        push @kids, [ $pid, $r ];
        sleep(0.05) if $i == 0;
    }
    for my $k (@kids) {
        my $fh = $k->[1];
        local $/;
        my $text = <$fh>;
        waitpid($k->[0], 0);
        push @out, $text ? $JSON->decode($text) : [ 0, {}, undef ];
    }
    return @out;
}

sub slow_login {
    return $t->post('/api/auth/access_token',
        { account => $SLOW, password => $PASS });
}

my $before;

# Sends $try alongside a slow login until $busy->(answer) holds: the
# answer of the last try.  $before is what counts() said just before that
# try: an earlier try that came before the slot was taken may have logged
# in for real, and its session is not the refused try's.
sub while_hashing {
    my ($try, $busy) = @_;
    my $res;

    for (1 .. $TRIES) {
        $before = counts();
        (undef, $res) = together(\&slow_login, $try);
        return @$res if $busy->(@$res);
    }
    return @$res;
}

sub counts {
    return {
        sessions => $t->db_value(
            'SELECT count(*) FROM sessions WHERE user_id = ?', $uid),
        fails => $t->db_value(q{SELECT count(*) FROM rate_events
            WHERE bucket IN ('login_fail', 'login_fail_ip')}),
        password => $t->db_value('SELECT password FROM users WHERE id = ?',
            $uid),
    };
}

my ($st, $h, $j);

# ---- v2: POST /api/auth/access_token -----------------------------------------

($st, $h, $j) = while_hashing(sub {
        $t->post('/api/auth/access_token',
            { account => $USER, password => $PASS }) },
    sub { ref($_[2]) eq 'HASH' && $_[2]{code} == 10100 });
is($st, 200, 'v2 login while the slot is busy: 200');
is($j->{code}, 10100, '... code 10100');
like($j->{message}, qr/\S/, '... with a message');
is($h->{'retry-after'}, '1', '... Retry-After: 1');
is_deeply(counts(), $before, '... no session, no failure counted');

# the right password still works once the slot is free
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $USER, password => $PASS });
is($j->{code}, 0, 'v2 login alone: 0');
$t->db_value('DELETE FROM sessions WHERE user_id = ? AND id <> ?', $uid,
    $t->db_value('SELECT min(id) FROM sessions WHERE user_id = ?', $uid));

# ---- many logins at once, and a read meanwhile -------------------------------

my @burst = together(\&slow_login,
    (sub { $t->post('/api/auth/access_token',
        { account => $USER, password => $PASS }) }) x 5,
    sub { $t->get('/api/personal/info', { -token => $reg->{access_token} }) });
my $info = pop @burst;
shift @burst;
is($info->[0], 200, 'a read during the burst: 200');
is($info->[2]{code}, 0, '... code 0');
is($info->[2]{data}{id}, $uid, '... the user');
my %seen;
$seen{ $_->[2]{code} // 'none' }++ for @burst;
ok(!grep({ $_ ne '0' && $_ ne '10100' } keys %seen),
    'burst logins answer 0 or 10100 only')
    or diag(explain(\%seen));
ok(!grep({ ($_->[2]{code} // 0) == 10100 && ($_->[1]{'retry-after'} // '')
    ne '1' } @burst), '... every 10100 with Retry-After');

# ---- v1: GET /api/get_token -----------------------------------------------

($st, $h, $j) = while_hashing(sub {
        $t->get("/api/get_token?account=$USER&password=$PASS") },
    sub { ref($_[2]) eq 'HASH' && $_[2]{code} == 10009 });
is($st, 200, 'v1 get_token while the slot is busy: 200');
is($j->{code}, 10009, '... code 10009');
is($h->{'retry-after'}, '1', '... Retry-After: 1');
ok(ref($j->{message}) ne 'HASH', '... no token');
is_deeply(counts(), $before, '... nothing counted');

# ---- feat: POST /api/auth/login/ ---------------------------------------------

($st, $h, $j) = while_hashing(sub {
        $t->post('/api/auth/login/', { phone => $USER, password => $PASS }) },
    sub { $_[0] == 429 });
is($st, 429, 'feat login while the slot is busy: 429');
is($j->{code}, 'throttled', '... throttled');
is($h->{'retry-after'}, '1', '... Retry-After: 1');
is_deeply(counts(), $before, '... no session, no failure counted');

# ---- OAuth2: the password grant ----------------------------------------------

my ($rc, $out) = $t->featctl('--json', 'oauth-client', 'add', 'storm',
    '--grants', 'password', '--scopes', 'read');
is($rc, 0, 'an OAuth2 client');
my $c = $JSON->decode($out);
my $basic = 'Basic ' . encode_base64("$c->{client_id}:$c->{client_secret}", '');

($st, $h, $j) = while_hashing(sub {
        $t->post('/o/token/', "grant_type=password&username=$USER"
            . "&password=$PASS&device_id=d1",
            { Authorization => $basic,
              'Content-Type' => 'application/x-www-form-urlencoded' }) },
    sub { $_[0] == 400 });
is($st, 400, '/o/token/ while the slot is busy: 400');
is($j->{error}, 'invalid_grant', '... invalid_grant');
is($j->{error_description}, 'too many logins at once, retry shortly',
    '... says why');
is($h->{'retry-after'}, '1', '... Retry-After: 1');
is($h->{'cache-control'}, 'no-store', '... no-store');
is_deeply(counts(), $before, '... no session, no failure counted');

# ---- v2 register: no user, the code not spent ----------------------------------

my $n = 0;
my ($acct, $code);
for (1 .. $TRIES) {
    $acct = sprintf('1390000%04d', 100 + $n++);
    ($st, undef, $j) = $t->post('/api/auth/send_code', { account => $acct });
    $code = $t->code_for($acct);
    (undef, my $res) = together(\&slow_login, sub {
        $t->post('/api/auth/register',
            { account => $acct, code => $code, password => $PASS }) });
    ($st, $h, $j) = @$res;
    last if ref($j) eq 'HASH' && $j->{code} == 10100;
}
is($j->{code}, 10100, 'v2 register while the slot is busy: 10100');
is($h->{'retry-after'}, '1', '... Retry-After: 1');
is($t->db_value('SELECT count(*) FROM users WHERE phone = ?', $acct), 0,
    '... no user');
is($t->db_value(q{SELECT count(*) FROM codes WHERE account = ?
    AND consumed_at IS NULL}, "86:$acct"), 1, '... the code not spent');
($st, $h, $j) = $t->post('/api/auth/register',
    { account => $acct, code => $code, password => $PASS });
is($j->{code}, 0, '... and it registers with the same code afterwards');

# ---- v1 reset_password: the password and the sessions stay -----------------

($st, $h, $j) = $t->get("/api/get_token?account=$USER&password=$PASS");
my $jwt = $j->{message}{token};
ok($jwt, 'a v1 token');
my $live = $t->db_value(q{SELECT count(*) FROM sessions WHERE user_id = ?
    AND revoked_at IS NULL}, $uid);
($st, $h, $j) = while_hashing(sub {
        $t->put('/api/user/reset_password', { user_password => 'new-pass-22' },
            { Authorization => $jwt }) },
    sub { ref($_[2]) eq 'HASH' && $_[2]{code} == 10009 });
is($j->{code}, 10009, 'v1 reset_password while the slot is busy: 10009');
is($h->{'retry-after'}, '1', '... Retry-After: 1');
is_deeply(counts(), $before, '... the password unchanged');
is($t->db_value(q{SELECT count(*) FROM sessions WHERE user_id = ?
    AND revoked_at IS NULL}, $uid), $live, '... no session revoked');

# No slot is left taken: a lone login hashes.
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => $USER, password => $PASS });
is($j->{code}, 0, 'a lone login after all this: 0');

done_testing();

#!/usr/bin/perl

# 20-apns-delivery.t: pushes delivered to APNs device tokens over HTTP/2
# (modules/apns/deliver.c) against t/fake/apns.py, an h2c fake that checks
# the JWT's ES256 signature, kid and iss, the topic and the path, and
# answers by the token's first digits.  Two fakes stand for the production
# and the sandbox hosts.  Checked: headers (apns-topic, apns-push-type,
# apns-id = the outbox row's request_id on every attempt, apns-expiration),
# the alert payload, sandbox vs production per token, one JWT reused and a
# fresh one after 403 ExpiredProviderToken, 410 and 400 BadDeviceToken
# deleting the token, 429 and 500 retried up to push.max_attempts then
# failed, push_status, and an app without credentials (no rows, sent with
# nothing to deliver, the log says why).

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatAdmin;
use FeatFake;
use FeatTest;
use Test::More;

my $dir = tempdir('feat-apns-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$dir/apns.log";

system("openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null"
    . " | openssl pkcs8 -topk8 -nocrypt -out $dir/key.p8"
    . " && openssl ec -in $dir/key.p8 -pubout -out $dir/key.pub"
    . " 2>/dev/null") == 0 or die "openssl: cannot make a P-256 key";
my $p8 = do { local (@ARGV, $/) = "$dir/key.p8"; <> };

my @fake = ('--log', $log, '--key-pub', "$dir/key.pub", '--team', 'TEAM45',
    '--kid', 'KEY123', '--topic', 'com.example.app');
my (undef, $prod) = FeatFake::start('apns.py', 120, @fake, '--name', 'prod',
    '--slow', 1);
my (undef, $sand) = FeatFake::start('apns.py', 120, @fake,
    '--name', 'sandbox');

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'push.retry_base' => 20);

sub ctl_ok { return FeatAdmin::ctl_ok($t, @_) }

sub lines { return FeatTest::json_lines($log) }

sub lines_for {
    my ($tok) = @_;
    return grep { $_->{token} eq $tok } lines();
}

sub status_of {
    my ($push) = @_;
    return $t->db_value('SELECT status FROM push WHERE id = ?', $push);
}

sub settled {
    my ($push) = @_;
    return $t->wait_for(sub {
        !$t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
            . ' status IN (0, 1)', $push) && status_of($push) != 0 });
}

sub send_to {
    my (@users) = @_;
    return ctl_ok('push', 'send', '--title', 'Hi', '--body', 'there',
        '--user', join(',', map { $_->{id} } @users), '--manager', $::m);
}

sub token_for {
    my ($u, $tok, $sandbox) = @_;
    my ($st) = $t->put('/api/user/apns-device-token/',
        { device_token => $tok, sandbox => $sandbox ? \1 : \0 },
        { -token => $u->{token} });
    die "PUT token: $st" if $st != 200;
}

our $m = ctl_ok('manager', 'add', 'ops')->{id};

ctl_ok('app', 'set', '', 'apns.team_id=TEAM45', 'apns.key_id=KEY123',
    "apns.key=$p8", 'apns.topic=com.example.app',
    "apns.url=http://127.0.0.1:$prod",
    "apns.sandbox_url=http://127.0.0.1:$sand", 'push.max_attempts=3');

my %u;
my %tok = (
    ok => 'ab' x 32, sandbox => 'cd' x 32, gone => '410' . ('e' x 61),
    bad => '400b' . ('e' x 60), busy => '429' . ('e' x 61),
    down => '500' . ('e' x 61), expired => '403e' . ('f' x 60),
);
for my $k (sort keys %tok) {
    $u{$k} = FeatAdmin::user($t, '1370000' . sprintf('%04d', scalar(keys %u)));
}
token_for($u{ok}, $tok{ok}, 0);
token_for($u{ok}, $tok{sandbox}, 1);
token_for($u{$_}, $tok{$_}, 0) for qw(gone bad busy down expired);

# ---- delivered, production and sandbox ----------------------------------------

my $p = send_to($u{ok});
ok(settled($p->{id}), 'a push to a user with two tokens: settled');
is(status_of($p->{id}), 1, '... push_status 1');
my ($l1) = lines_for($tok{ok});
my ($l2) = lines_for($tok{sandbox});
is($l1->{server}, 'prod', '... the production token to apns.url');
is($l2->{server}, 'sandbox', '... the sandbox token to apns.sandbox_url');
is($l1->{status}, 200, '... the fake took it (JWT signature, topic, path)');
is($l1->{topic}, 'com.example.app', '... apns-topic');
is($l1->{push_type}, 'alert', '... apns-push-type alert');
my $row = $t->db_row('SELECT * FROM outbox WHERE token = ?', $tok{ok});
is($l1->{apns_id}, $row->{request_id}, '... apns-id the row\'s request_id');
is($l1->{expiration}, $row->{created_at} + 86400,
    '... apns-expiration: queued + push.ttl');
is_deeply($l1->{payload}, { aps => { alert => { title => 'Hi',
    body => 'there' } } }, '... the alert');
is($l1->{jwt}, $l2->{jwt}, '... one JWT for both');
is($row->{status}, 2, '... rows sent');

# ---- dead tokens ---------------------------------------------------------------

$p = send_to($u{gone}, $u{bad});
ok(settled($p->{id}), '410 and 400 BadDeviceToken: settled');
is(status_of($p->{id}), 2, '... push_status 2');
is($t->db_value('SELECT count(*) FROM apns_device WHERE token IN (?, ?)',
    $tok{gone}, $tok{bad}), 0, '... both tokens deleted');
is(scalar(lines_for($tok{gone})), 1, '... one attempt each');
like($t->db_value('SELECT last_error FROM outbox WHERE token = ?', $tok{bad}),
    qr/400 BadDeviceToken/, '... last_error says why');

# ---- transient failures ------------------------------------------------------------

$p = send_to($u{busy}, $u{down});
ok(settled($p->{id}), '429 and 500: settled');
is(status_of($p->{id}), 2, '... push_status 2');
for my $k (qw(busy down)) {
    my @l = lines_for($tok{$k});
    is(scalar(@l), 3, "... $k: push.max_attempts (3) attempts");
    my $r = $t->db_row('SELECT * FROM outbox WHERE token = ?', $tok{$k});
    is_deeply([ map { $_->{apns_id} } @l ], [ ($r->{request_id}) x 3 ],
        "... $k: the same apns-id every time");
    is($r->{status}, 3, "... $k: failed");
}
is($t->db_value('SELECT count(*) FROM apns_device WHERE token = ?',
    $tok{busy}), 1, '... the token kept');

# ---- a JWT Apple calls expired ----------------------------------------------------

$p = send_to($u{expired});
ok(settled($p->{id}), '403 ExpiredProviderToken: settled');
is(status_of($p->{id}), 1, '... delivered');
my @l = lines_for($tok{expired});
is_deeply([ map { $_->{status} } @l ], [ 403, 200 ],
    '... refused once, then taken');
isnt($l[1]{jwt}, $l[0]{jwt}, '... with a fresh JWT');
is($l[0]{jwt}, $l1->{jwt}, '... the one refused was the one reused so far');
is($t->db_value('SELECT attempts FROM outbox WHERE push_id = ?', $p->{id}),
    1, '... within one attempt');
$p = send_to($u{ok});
ok(settled($p->{id}), 'the next push');
is((lines_for($tok{ok}))[-1]{jwt}, $l[1]{jwt}, '... reuses the fresh JWT');

# ---- every user; kill -9 in the middle -------------------------------------------

ctl_ok('app', 'add', 'shop');
ctl_ok('app', 'set', 'shop', 'apns.team_id=TEAM45', 'apns.key_id=KEY123',
    "apns.key=$p8", 'apns.topic=com.example.app',
    "apns.url=http://127.0.0.1:$prod",
    "apns.sandbox_url=http://127.0.0.1:$sand");
my @slow;
for my $n (1 .. 3) {
    my $f = FeatAdmin::user($t, "1390000000$n", 'shop');
    my $tk = '5104' . ($n x 60);
    my ($st) = $t->put('/api/user/apns-device-token/', { device_token => $tk },
        { -token => $f->{token}, -app => 'shop' });
    die "PUT token: $st" if $st != 200;
    push @slow, $tk;
}
my $fm = ctl_ok('manager', 'add', 'm', '--app', 'shop')->{id};
$p = ctl_ok('push', 'send', '--title', 'all', '--body', 'of you', '--all',
    '--app', 'shop', '--manager', $fm);
ok($t->wait_for(sub { scalar(grep { lines_for($_) } @slow) >= 1 }),
    'a push to every user of app shop: slow deliveries under way');
my $jobs = $t->jobs_pid;
ok($jobs, '... the jobs process found');
$t->allow_log(qr/\b$jobs\b/);
kill('KILL', $jobs);
ok(settled($p->{id}), '... after kill -9 and the respawn: settled');
is(status_of($p->{id}), 1, '... push_status 1');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ? AND'
    . ' status = 2', $p->{id}), 3, '... every user\'s token sent');
for my $tk (@slow) {
    my %ids = map { $_->{apns_id} => 1 } lines_for($tk);
    is(scalar(keys %ids), 1, "... $tk reached, under one apns-id");
}

# ---- an app without credentials ----------------------------------------------------

ctl_ok('app', 'unset', 'shop', 'apns.key');
my $before = scalar(lines());
$p = ctl_ok('push', 'send', '--title', 'x', '--body', 'y', '--all',
    '--app', 'shop', '--manager', $fm);
ok(settled($p->{id}), 'app shop without apns.key: a push settles');
is(status_of($p->{id}), 1, '... push_status 1: nothing deliverable');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ?', $p->{id}),
    0, '... and no outbox row: a channel without credentials gets none');
my ($why) = grep { /push $p->{id}: nothing deliverable/ }
    $t->log_lines('featcgi-error.log');
like($why // '', qr/counted as sent: apns: no credentials for the app \(3 devices\)/,
    '... the log says why');
is(scalar(lines()), $before, '... nothing reached APNs');

# the same for a push to listed users (rows written in featctl's
# transaction)
my $shop_user = $t->db_value(q{SELECT user_id FROM apns_device WHERE
    app_id = 'shop' LIMIT 1});
my ($rc, $out, $err) = FeatAdmin::ctl($t, 'push', 'send', '--title', 'x',
    '--body', 'y', '--user', $shop_user, '--app', 'shop', '--manager', $fm);
is($rc, 0, 'a listed push in app shop');
is($out->{push_status}, 1, '... sent at once');
is($t->db_value('SELECT count(*) FROM outbox WHERE push_id = ?',
    $out->{id}), 0, '... no outbox row');
like($err, qr/push $out->{id}: nothing deliverable, counted as sent: apns: no credentials for the app \(1 device\)/,
    '... featctl\'s log says why');

done_testing();

#!/usr/bin/perl

# 30-admin-push-apns.t: a push composed in the console (modules/admin/
# pushes.c) delivered by the jobs process through the APNs provider
# (modules/apns/deliver.c, HTTP/2) to t/fake/apns.py, as t/20-apns-
# delivery.t sets it up: one token the fake takes, one it answers 410;
# the console then shows the push sent with one delivery sent and one
# failed, and its targets on channel apns.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatAdmin;
use FeatAdminContent qw(adm);
use FeatFake;
use FeatTest;
use Test::More;

my $dir = tempdir('feat-admin-apns-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$dir/apns.log";

system("openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null"
    . " | openssl pkcs8 -topk8 -nocrypt -out $dir/key.p8"
    . " && openssl ec -in $dir/key.p8 -pubout -out $dir/key.pub"
    . " 2>/dev/null") == 0 or die "openssl: cannot make a P-256 key";
my $p8 = do { local (@ARGV, $/) = "$dir/key.p8"; <> };

my (undef, $port) = FeatFake::start('apns.py', 120, '--log', $log,
    '--key-pub', "$dir/key.pub", '--team', 'TEAM45', '--kid', 'KEY123',
    '--topic', 'com.example.app', '--name', 'prod');

# the app's credentials before the pool starts: no process has cached the
# app without them
my $t = FeatTest->new('code.ip_hourly_limit' => 1000, -no_start => 1);
FeatAdmin::ctl_ok($t, 'app', 'set', '', 'apns.team_id=TEAM45',
    'apns.key_id=KEY123', "apns.key=$p8", 'apns.topic=com.example.app',
    "apns.url=http://127.0.0.1:$port",
    "apns.sandbox_url=http://127.0.0.1:$port", 'push.max_attempts=2');
$t->start;

my %tok = (ok => 'ab' x 32, gone => '410' . ('e' x 61));
my $uok = FeatAdmin::user($t, '13700000001');
my $ugone = FeatAdmin::user($t, '13700000002');
for ([ $uok, $tok{ok} ], [ $ugone, $tok{gone} ]) {
    my ($st) = $t->put('/api/user/apns-device-token/',
        { device_token => $_->[1], sandbox => \0 },
        { -token => $_->[0]{token} });
    is($st, 200, 'an APNs token registered');
}

my $m = FeatAdminContent::manager($t, 'pusher', app => '');
my ($st, $j) = adm($m, 'POST', '/admin/api/apps/~/pushes',
    { title => 'Hello', body => 'from the console',
      to => [ $uok->{id}, $ugone->{id} ] });
is($st, 201, 'POST pushes: 201');
my $id = $j->{data}{id};
is_deeply([ sort map { $_->{channel} } @{ $j->{data}{targets} } ],
    [ 'apns', 'apns' ], '... two APNs targets, queued with it');

ok($t->wait_for(sub {
    ($st, $j) = adm($m, 'GET', "/admin/api/apps/~/pushes/$id");
    $j->{data}{status} ne 'queued' }), 'the jobs process delivers it');
is($j->{data}{status}, 'sent', '... the push sent');
is_deeply($j->{data}{delivery}, { queued => 0, sent => 1, failed => 1,
    skipped => 0, fanout => JSON::PP::false },
    '... one delivery sent, one failed (410), as the outbox holds them');
my %by = map { $_->{user_id} => $_ } @{ $j->{data}{targets} };
is($by{$uok->{id}}{status}, 'sent', '... the good token\'s row sent');
is($by{$ugone->{id}}{status}, 'failed', '... the dead token\'s failed');
like($by{$ugone->{id}}{last_error}, qr/410/, '... saying 410');

my @l = do {
    open(my $fh, '<', $log) or die "$log: $!";
    map { decode_json($_) } <$fh>;
};
my ($got) = grep { $_->{token} eq $tok{ok} } @l;
is($got->{status}, 200, 'the fake took the push (JWT, topic, path checked)');
is_deeply($got->{payload}, { aps => { alert => { title => 'Hello',
    body => 'from the console' } } }, '... with the console\'s alert');
is($t->db_value('SELECT count(*) FROM apns_device WHERE token = ?',
    $tok{gone}), 0, 'the dead token is gone');

done_testing;

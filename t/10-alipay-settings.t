#!/usr/bin/perl

# 10-alipay-settings.t: per-app settings seen by a running pool (issue 10,
# "Per-app settings"), through the Alipay binding and t/fake/alipay.pl.
# The config names the gateway and the key files but no alipay.app_id:
# the binding answers 503 until "featctl app set APP alipay.app_id=..."
# and works within seconds after, with no restart; "app unset" takes it
# back.  A second app gets its own Alipay app (id, both keys, gateway) on
# a second fake, invisible to the default app and the other way round.
# A sealed private key copied to another app does not open there, and the
# app then has no key at all rather than the config's.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use JSON::PP;
use FeatFake;
use FeatTest;
use Test::More;
use Time::HiRes qw(sleep);

BAIL_OUT('no openssl command (apt-get install openssl)')
    if system('openssl version >/dev/null 2>&1') != 0;

my $keys = tempdir('featcgi-alipay-XXXXXX', TMPDIR => 1, CLEANUP => 1);

for my $who (qw(app alipay app2 alipay2)) {
    system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
        . " -out '$keys/$who.pem' 2>/dev/null") == 0
        or BAIL_OUT("openssl genpkey failed");
    system('openssl', 'pkey', '-in', "$keys/$who.pem", '-pubout', '-out',
        "$keys/$who.pub") == 0
        or BAIL_OUT("openssl pkey -pubout failed");
}

my ($gw1_pid, $gw1) = FeatFake::start('alipay.pl', 120,
    '--key', "$keys/alipay.pem", '--app-key', "$keys/app.pub",
    '--app-id', '2021000000000001', '--log', "$keys/gw1.log");
my ($gw2_pid, $gw2) = FeatFake::start('alipay.pl', 120,
    '--key', "$keys/alipay2.pem", '--app-key', "$keys/app2.pub",
    '--app-id', '2021000000000002', '--log', "$keys/gw2.log");

my $t = FeatTest->new(
    'alipay.gateway'          => "http://127.0.0.1:$gw1/gateway.do",
    'alipay.private_key_file' => "$keys/app.pem",
    'alipay.public_key_file'  => "$keys/alipay.pub",
    'alipay.timeout'          => 5000,
);
my ($st, $h, $j, $rc, $out, $err);
my $path = '/api/user/profile/alipay-binding/';

# Each process reads the settings version at most once a second, before a
# request: once a second has passed after a change, every process's next
# request sees it.  The polls below show "within seconds"; settle() is for
# what must hold on every worker at once afterwards.
sub settle { sleep(1.2) }

sub requests {
    my ($log) = @_;
    open my $fh, '<', $log or return 0;
    my @lines = <$fh>;
    close $fh;
    return scalar @lines;
}

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'app shop added') or diag $err;

my $ta = $t->register_v2('18656665001', 'secret5001')->{access_token};
my $ts = $t->register_v2('18656665002', 'secret5002',
    headers => { -app => 'shop' }, app => 'shop')->{access_token};

sub bind_in {
    my ($app, $code) = @_;

    return $t->post($path, { auth_code => $code },
        { -token => $app eq 'shop' ? $ts : $ta,
          $app eq 'shop' ? (-app => 'shop') : () });
}

# ---- no app id: 503, and the gateway is never asked ---------------------------

($st, $h, $j) = bind_in('', 'ok.2088000000000001');
is($st, 503, 'no alipay.app_id anywhere: 503');
is($j->{code}, 'delivery_failed', '... delivery_failed');
is(requests("$keys/gw1.log"), 0, '... the gateway was not called');

# ---- set: works within seconds, no restart ------------------------------------

my $master = $t->master_pid;
my @workers = sort { $a <=> $b } $t->worker_pids;

($rc, $out, $err) = $t->featctl('app', 'set', '',
    'alipay.app_id=2021000000000001');
is($rc, 0, 'app set "" alipay.app_id') or diag $err;
like($out, qr/set alipay\.app_id/, '... says so');

my $ok = $t->wait_for(sub {
    ($st, $h, $j) = bind_in('', 'ok.2088000000000001');
    $st == 201;
}, 15);
ok($ok, 'the running pool binds within seconds') or diag explain $j;
is($j->{data}{alipay_user_id}, '2088000000000001', '... the account');
is($t->master_pid, $master, '... the same master');
is_deeply([ sort { $a <=> $b } $t->worker_pids ], \@workers,
    '... the same workers: no restart');
is($t->db_value(q{SELECT app_id FROM alipay_binding
    WHERE alipay_user_id = '2088000000000001'}), '', '... stored in ""');

# the config's gateway and key files are the defaults
my $gw1_before = requests("$keys/gw1.log");
ok($gw1_before > 0, "the config's gateway took the call");

# ---- app X's settings are invisible to app Y -----------------------------------

($st, $h, $j) = bind_in('shop', 'ok.2088000000000002');
is($st, 503, "shop does not see the default app's alipay.app_id: 503");

($rc, $out, $err) = $t->featctl('app', 'set', 'shop',
    'alipay.app_id=2021000000000002',
    "alipay.private_key=\@$keys/app2.pem",
    "alipay.public_key=\@$keys/alipay2.pub",
    "alipay.gateway=http://127.0.0.1:$gw2/gateway.do");
is($rc, 0, 'app set shop: its own Alipay app, keys and gateway') or diag $err;

$ok = $t->wait_for(sub {
    ($st, $h, $j) = bind_in('shop', 'ok.2088000000000002');
    $st == 201;
}, 15);
ok($ok, 'shop binds with its own settings') or diag explain $j;
settle();
is(requests("$keys/gw2.log"), 1, "... through shop's gateway, signed with"
    . " shop's key (the fake checks it)");
is(requests("$keys/gw1.log"), $gw1_before, "... not the default app's");

($st, $h, $j) = bind_in('', 'ok.2088000000000003');
is($st, 201, "the default app still uses its own settings");
is(requests("$keys/gw2.log"), 1, "... never shop's gateway");

# ---- a sealed value moved to another app does not open -------------------------

($rc, $out, $err) = $t->featctl('app', 'add', 'shop2');
is($rc, 0, 'app shop2 added');
my $sealed = $t->db_value(q{SELECT sealed FROM app_settings
    WHERE app_id = 'shop' AND key = 'alipay.private_key'});
ok(defined $sealed && length($sealed) > 28, "shop's private key is sealed");
$t->dbh->do(q{INSERT INTO app_settings (app_id, key, sealed, updated_at)
    VALUES ('', 'alipay.private_key', ?, 0)}, undef, $sealed);

settle();
my $calls = requests("$keys/gw1.log");
($st, $h, $j) = bind_in('', 'ok.2088000000000004');
is($st, 503, "shop's sealed key copied to \"\": the binding fails (503)");
ok(grep({ /setting "alipay\.private_key" does not open/ }
    $t->log_lines('featcgi-error.log')), '... it does not open there');
is(requests("$keys/gw1.log"), $calls,
    '... and the config key is not used instead: the gateway is not called');

($rc) = $t->featctl('app', 'unset', '', 'alipay.private_key');
is($rc, 0, 'unset the moved key');
$ok = $t->wait_for(sub {
    ($st, $h, $j) = bind_in('', 'ok.2088000000000004');
    $st == 201;
}, 15);
ok($ok, '... the config key is the default again');

# ---- unset: back to the default (none), within seconds -------------------------

($rc, $out, $err) = $t->featctl('app', 'unset', '', 'alipay.app_id');
is($rc, 0, 'app unset "" alipay.app_id') or diag $err;
$ok = $t->wait_for(sub {
    ($st, $h, $j) = bind_in('', 'ok.2088000000000005');
    $st == 503;
}, 15);
ok($ok, '... the binding answers 503 again');
settle();
($st, $h, $j) = bind_in('', 'ok.2088000000000005');
is($st, 503, '... on every worker');

($st, $h, $j) = bind_in('shop', 'ok.2088000000000006');
is($st, 201, "... while shop's settings stand") or diag explain $j;

$t->stop;
done_testing;

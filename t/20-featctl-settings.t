#!/usr/bin/perl

# 20-featctl-settings.t: featctl app set|get|unset (issue 10, "Per-app
# settings"; featctl(8)).  Every declared key listed with its default and
# where it comes from; set, get and unset of each type; a PEM from
# @FILE; secrets shown as (set) and stored sealed (not the plaintext, and
# not openable as another app's or key's); an unknown key, each kind of
# bad value and a plain http gateway off this host refused with exit 1 and
# nothing stored; a set of several keys all or nothing; app add's
# --open-login and --scopes landing in the same table.  Runs without a
# pool: featctl alone.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use FeatTest;
use JSON::PP;
use Test::More;

BAIL_OUT('no openssl command (apt-get install openssl)')
    if system('openssl version >/dev/null 2>&1') != 0;

my $keys = tempdir('featcgi-settings-XXXXXX', TMPDIR => 1, CLEANUP => 1);
for my $who (qw(app alipay)) {
    system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
        . " -out '$keys/$who.pem' 2>/dev/null") == 0
        or BAIL_OUT("openssl genpkey failed");
    system('openssl', 'pkey', '-in', "$keys/$who.pem", '-pubout', '-out',
        "$keys/$who.pub") == 0
        or BAIL_OUT("openssl pkey -pubout failed");
}

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    return scalar <$fh>;
}

my $t = FeatTest->new(-no_start => 1,
    'alipay.public_key_file' => "$keys/alipay.pub");
my $J = JSON::PP->new->utf8;
my ($rc, $out, $err, $j);

sub ctl_json {
    my ($rc, $out, $err) = $t->featctl('--json', @_);
    my $data = eval { $J->decode($out) };

    return ($rc, $data, $err);
}

sub stored {
    my ($app) = @_;

    return { map { $_->{key} => $_ } @{ $t->db_rows(
        'SELECT key, value, sealed FROM app_settings WHERE app_id = ?',
        $app) } };
}

# A refused command: exit 1, a reason naming $re, nothing on stdout, and
# the app's stored settings unchanged.
sub refused {
    my ($re, @args) = @_;
    my $before = $J->canonical->encode(
        [ map { [ @$_{qw(key value)}, unpack('H*', $_->{sealed} // '') ] }
          sort { $a->{key} cmp $b->{key} } values %{ stored('shop') } ]);
    my ($rc, $out, $err) = $t->featctl(@args);

    is($rc, 1, "featctl @args: exit 1");
    like($err, qr/^featctl: .*(?:$re)/m, '... says why');
    is($out, '', '... nothing on stdout');
    my $after = $J->canonical->encode(
        [ map { [ @$_{qw(key value)}, unpack('H*', $_->{sealed} // '') ] }
          sort { $a->{key} cmp $b->{key} } values %{ stored('shop') } ]);
    is($after, $before, '... nothing stored');
}

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'app add shop') or diag $err;
($rc, $out, $err) = $t->featctl('app', 'add', 'other');
is($rc, 0, 'app add other') or diag $err;

# ---- get: every key, its default and its origin ---------------------------------

($rc, $j, $err) = ctl_json('app', 'get', 'shop');
is($rc, 0, 'app get --json: exit 0') or diag $err;
my %g = map { $_->{key} => $_ } @{ $j // [] };
for my $k (qw(accounts.open_login accounts.default_scopes alipay.app_id
    alipay.gateway alipay.private_key alipay.public_key))
{
    ok(exists $g{$k}, "app get lists $k");
}
is($g{'accounts.open_login'}{value}, 'off', 'open_login: default off');
is($g{'accounts.open_login'}{origin}, 'default', '... from the key table');
is($g{'alipay.gateway'}{value}, 'https://openapi.alipay.com/gateway.do',
    "alipay.gateway: the config's (built-in) value");
is($g{'alipay.gateway'}{origin}, 'config alipay.gateway', '... says so');
is($g{'alipay.public_key'}{value}, slurp("$keys/alipay.pub"),
    'alipay.public_key: the contents of the config\'s key file');
is($g{'alipay.public_key'}{origin}, 'config alipay.public_key_file',
    '... says so');
ok(!defined $g{'alipay.app_id'}{value}, 'alipay.app_id: no value');
is($g{'alipay.app_id'}{origin}, 'none', '... origin none');
ok(!defined $g{'alipay.private_key'}{value}, 'alipay.private_key: none');
ok($g{'alipay.private_key'}{secret}, '... a secret');
is($g{'alipay.private_key'}{type}, 'pem', '... of type pem');

($rc, $out, $err) = $t->featctl('app', 'get', 'shop');
is($rc, 0, 'app get (table): exit 0');
like($out, qr/^KEY\s+VALUE\s+ORIGIN$/m, '... headings');
like($out, qr/^alipay\.public_key\s+\(PEM, \d+ bytes\)\s+config /m,
    '... a PEM as its size');

# ---- set, get, unset -----------------------------------------------------------

($rc, $out, $err) = $t->featctl('app', 'set', 'shop',
    'alipay.app_id=2021000000000009', 'accounts.open_login=yes',
    "alipay.private_key=\@$keys/app.pem",
    "alipay.public_key=\@$keys/app.pub",
    'alipay.gateway=http://127.0.0.1:9/gateway.do');
is($rc, 0, 'app set five keys: exit 0') or diag $err;
like($out, qr/^app shop: set alipay\.app_id, accounts\.open_login, /,
    '... says which');
unlike($out, qr/BEGIN|PRIVATE/, '... never echoes a value');

my $s = stored('shop');
is($s->{'alipay.app_id'}{value}, '2021000000000009', 'stored: app_id');
is($s->{'accounts.open_login'}{value}, 'on', 'stored: yes as on');
is($s->{'alipay.public_key'}{value}, slurp("$keys/app.pub"),
    'stored: the public key from @FILE, as text');
ok(!defined $s->{'alipay.private_key'}{value},
    'stored: no plaintext column for the secret');
my $sealed = $s->{'alipay.private_key'}{sealed};
my $pem = slurp("$keys/app.pem");
is(length($sealed), length($pem) + 28, '... sealed: nonce + text + tag');
ok(index($sealed, 'PRIVATE KEY') < 0 && index($sealed, substr($pem, 40, 40))
    < 0, '... not the plaintext');

($rc, $j, $err) = ctl_json('app', 'get', 'shop', 'alipay.private_key');
is($rc, 0, 'app get KEY --json');
is(scalar @$j, 1, '... one row');
is($j->[0]{value}, '(set)', '... a secret is (set)');
is($j->[0]{origin}, 'app', '... of the app');
($rc, $out, $err) = $t->featctl('app', 'get', 'shop');
unlike($out, qr/PRIVATE KEY/, 'app get never shows the private key');
like($out, qr/^alipay\.private_key\s+\(set\)\s+app$/m, '... but (set)');
($rc, $j, $err) = ctl_json('app', 'get', 'shop', 'alipay.app_id');
is($j->[0]{value}, '2021000000000009', 'app get KEY: the value');
like($j->[0]{updated_at}, qr/^\d{4}-/, '... and when it was set');

# the same secret sealed twice differs (a fresh nonce)
($rc) = $t->featctl('app', 'set', 'shop', "alipay.private_key=\@$keys/app.pem");
isnt(stored('shop')->{'alipay.private_key'}{sealed}, $sealed,
    'setting the same secret again seals it under a new nonce');

# app X's settings are not app Y's
($rc, $j, $err) = ctl_json('app', 'get', 'other', 'alipay.app_id');
ok(!defined $j->[0]{value}, "another app does not see shop's values");
is(scalar keys %{ stored('other') }, 0, '... and holds none');

# unset: the default again
($rc, $out, $err) = $t->featctl('app', 'unset', 'shop', 'alipay.app_id',
    'alipay.gateway');
is($rc, 0, 'app unset two keys') or diag $err;
like($out, qr/unset alipay\.app_id, alipay\.gateway/, '... says which');
$s = stored('shop');
ok(!exists $s->{'alipay.app_id'} && !exists $s->{'alipay.gateway'},
    '... removed');
($rc, $j, $err) = ctl_json('app', 'get', 'shop', 'alipay.gateway');
is($j->[0]{origin}, 'config alipay.gateway', '... the default is back');
($rc, $out, $err) = $t->featctl('app', 'unset', 'shop', 'alipay.app_id');
is($rc, 0, 'unsetting what is not set: exit 0');
like($out, qr/unset nothing/, '... says so');

# ---- refusals: exit 1, nothing stored ------------------------------------------

refused('unknown setting', 'app', 'set', 'shop', 'alipay.nope=1');
refused('unknown setting', 'app', 'set', 'shop', 'alipay.app_id=2',
    'weixin.nope=1');
refused('KEY=VALUE', 'app', 'set', 'shop', 'alipay.app_id');
refused('KEY=VALUE', 'app', 'set', 'shop', '=x');
refused('twice', 'app', 'set', 'shop', 'alipay.app_id=1', 'alipay.app_id=2');
refused('on or off', 'app', 'set', 'shop', 'accounts.open_login=maybe');
refused('https', 'app', 'set', 'shop',
    'alipay.gateway=http://192.0.2.1/gateway.do');
refused('https', 'app', 'set', 'shop',
    'alipay.gateway=http://127.0.0.1:9@192.0.2.1/gateway.do');
refused('https', 'app', 'set', 'shop', 'alipay.gateway=ftp://127.0.0.1/');
refused('https', 'app', 'set', 'shop', 'alipay.gateway=gateway.do');
refused('private key', 'app', 'set', 'shop',
    "alipay.private_key=\@$keys/app.pub");
refused('private key', 'app', 'set', 'shop', 'alipay.private_key=secret');
refused('public key', 'app', 'set', 'shop', 'alipay.public_key=nonsense');
refused('cannot read', 'app', 'set', 'shop',
    "alipay.public_key=\@$keys/missing.pem");
refused('longer than 32', 'app', 'set', 'shop', 'alipay.app_id=' . '9' x 33);
refused('control', 'app', 'set', 'shop', "alipay.app_id=20\n21");
refused('scope', 'app', 'set', 'shop', 'accounts.default_scopes=read WRITE');
refused('twice', 'app', 'set', 'shop', 'accounts.default_scopes=read read');
# all or nothing: the good pair before the bad one is not stored either
refused('on or off', 'app', 'set', 'shop', 'alipay.app_id=2021000000000010',
    'accounts.open_login=maybe');
refused('no app', 'app', 'set', 'nosuch', 'alipay.app_id=1');
refused('unknown setting', 'app', 'unset', 'shop', 'alipay.nope');
refused('unknown setting', 'app', 'get', 'shop', 'alipay.nope');

($rc) = $t->featctl('app', 'set', 'shop');
is($rc, 2, 'app set without a pair: usage, exit 2');

# http to a loopback host is the tests' fakes: accepted
for my $url ('http://127.0.0.1/gw', 'http://127.8.9.10:8080/gw',
    'http://localhost:9/', 'http://[::1]/gw', 'https://openapi.example/gw')
{
    ($rc, $out, $err) = $t->featctl('app', 'set', 'shop',
        "alipay.gateway=$url");
    is($rc, 0, "alipay.gateway=$url accepted") or diag $err;
    is(stored('shop')->{'alipay.gateway'}{value}, $url, '... stored');
}

# ---- app add: its options are settings too -------------------------------------

($rc, $out, $err) = $t->featctl('app', 'add', 'shop9', '--open-login', 'on',
    '--scopes', 'read  write  pay_trade_order');
is($rc, 0, 'app add --open-login --scopes') or diag $err;
$s = stored('shop9');
is($s->{'accounts.open_login'}{value}, 'on', '... open_login stored');
is($s->{'accounts.default_scopes'}{value}, 'read write pay_trade_order',
    '... scopes normalized and stored');
($rc, $j, $err) = ctl_json('app', 'list');
my %apps = map { $_->{id} => $_ } @$j;
ok($apps{shop9}{open_login}, 'app list: open_login from the settings');
is($apps{shop9}{default_scopes}, 'read write pay_trade_order',
    'app list: scopes from the settings');
is($apps{other}{default_scopes}, 'read write', 'app list: the default');
ok(!$apps{other}{open_login}, 'app list: open_login off by default');

done_testing;

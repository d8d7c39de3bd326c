#!/usr/bin/perl

# 10-alipay-feat.t: the Alipay binding (API.md "Alipay binding", seeds/001)
# against t/fake/alipay.pl: the RSA2-signed request with every parameter,
# a signed answer bound (201), user_id or open_id, the answer's signature
# checked (forged, tampered, unsigned, doubled answers refused with 503),
# a refused code (400), a gateway down (503), an Alipay account bound to
# another user (409 already_bound), GET and DELETE.  Keys are made here
# with "openssl genpkey".

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use FindBin;
use JSON::PP;
use FeatFake;
use FeatTest;
use Test::More;
use Time::HiRes qw(sleep);

# tools/test installs openssl: without it the run is broken, not skippable
BAIL_OUT('no openssl command (apt-get install openssl)')
    if system('openssl version >/dev/null 2>&1') != 0;

my $keys = tempdir('featcgi-alipay-XXXXXX', TMPDIR => 1, CLEANUP => 1);

for my $who (qw(app alipay)) {
    system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
        . " -out '$keys/$who.pem' 2>/dev/null") == 0
        or BAIL_OUT("openssl genpkey failed");
    system('openssl', 'pkey', '-in', "$keys/$who.pem", '-pubout', '-out',
        "$keys/$who.pub") == 0
        or BAIL_OUT("openssl pkey -pubout failed");
}

my $log = "$keys/gateway.log";
my ($gw_pid, $gw_port) = FeatFake::start('alipay.pl', 120,
    '--key', "$keys/alipay.pem", '--app-key', "$keys/app.pub", '--app-id', '2021000000000001',
    '--log', $log);

my $t = FeatTest->new(
    'alipay.gateway'          => "http://127.0.0.1:$gw_port/gateway.do",
    'alipay.app_id'           => '2021000000000001',
    'alipay.private_key_file' => "$keys/app.pem",
    'alipay.public_key_file'  => "$keys/alipay.pub",
    'alipay.timeout'          => 5000,
);
my ($st, $h, $j);
my $path = '/api/user/profile/alipay-binding/';

sub last_request {
    open my $fh, '<', $log or return undef;
    my @lines = <$fh>;
    close $fh;
    return @lines ? decode_json($lines[-1]) : undef;
}

sub bind_code {
    my ($token, $code) = @_;

    return $t->post($path, { auth_code => $code }, { -token => $token });
}

my $a = $t->register_v2('18656664001', 'secret4001')->{access_token};
my $b = $t->register_v2('18656664002', 'secret4002')->{access_token};
my $uid_a = $t->db_value(q{SELECT id FROM users WHERE phone = '18656664001'});
my $uid_b = $t->db_value(q{SELECT id FROM users WHERE phone = '18656664002'});
my $iso = qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/;
my $bindings = sub { $t->db_value('SELECT count(*) FROM alipay_binding') };

# ---- success --------------------------------------------------------------

($st, $h, $j) = $t->get($path, { -token => $a });
is($st, 404, 'GET before binding: 404');
is($j->{code}, 'not_found', '... not_found');

($st, $h, $j) = bind_code($a, 'ok.2088000000000001');
is($st, 201, 'POST a good code: 201');
is_deeply([ sort keys %{ $j->{data} } ], [ qw(alipay_user_id created_at) ],
    '... {alipay_user_id, created_at}');
is($j->{data}{alipay_user_id}, '2088000000000001', '... the user_id');
like($j->{data}{created_at}, $iso, '... feat time');
my $created = $j->{data}{created_at};

my $req = last_request();
ok($req->{sig_ok}, 'the gateway verified our RSA2 signature');
is($req->{answer}, 'ok', '... and took every parameter');
my %p = %{ $req->{params} };
is($p{app_id}, '2021000000000001', '... app_id');
is($p{method}, 'alipay.system.oauth.token', '... method');
is($p{charset}, 'utf-8', '... charset');
is($p{sign_type}, 'RSA2', '... sign_type');
is($p{version}, '1.0', '... version');
is($p{grant_type}, 'authorization_code', '... grant_type');
is($p{code}, 'ok.2088000000000001', '... code');
like($p{timestamp}, qr/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/, '... timestamp');

my $row = $t->db_row('SELECT * FROM alipay_binding WHERE user_id = ?',
    $uid_a);
is($row->{alipay_user_id}, '2088000000000001', '... stored');
is($row->{app_id}, '', '... in the default app');

($st, $h, $j) = $t->get($path, { -token => $a });
is($st, 200, 'GET: 200');
is_deeply($j, { data => { alipay_user_id => '2088000000000001',
    created_at => $created } }, '... the binding');

($st, $h, $j) = bind_code($a, 'ok.2088000000000001');
is($st, 201, 'binding the same account again: 201');
is($j->{data}{created_at}, $created, '... created_at kept');
is($bindings->(), 1, '... still one row');

# ---- another user's account: 409 ------------------------------------------

($st, $h, $j) = bind_code($b, 'ok.2088000000000001');
is($st, 409, "B binds A's Alipay account: 409");
is($j->{code}, 'already_bound', '... already_bound');
($st, $h, $j) = $t->get($path, { -token => $b });
is($st, 404, '... B has no binding');

# ---- answers that are not believed ------------------------------------------

for my $case ([ 'forged', 'a sign over another answer' ],
    [ 'tampered', 'an answer changed after signing' ],
    [ 'unsigned', 'an unsigned answer' ],
    [ 'twice', 'a signed answer followed by a second one' ],
    [ 'garbage', 'an answer that is not JSON' ],
    [ 'error', 'HTTP 500' ])
{
    my ($mode, $what) = @$case;
    ($st, $h, $j) = bind_code($b, "$mode.2088000000000002");
    is($st, 503, "$what: 503");
    is($j->{code}, 'delivery_failed', '... delivery_failed');
    is(last_request()->{answer}, $mode, "... the gateway answered $mode");
}
is($bindings->(), 1, 'nothing bound by them');

($st, $h, $j) = bind_code($b, 'invalid.x');
is($st, 400, 'a code the gateway refuses: 400');
is($j->{code}, 'invalid', '... invalid');
ok($j->{errors}{auth_code}, '... errors.auth_code');

# ---- open_id --------------------------------------------------------------------

($st, $h, $j) = bind_code($b, 'openid.074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5');
is($st, 201, 'an answer with open_id: 201');
is($j->{data}{alipay_user_id}, '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
    '... the open_id bound');

# ---- input -------------------------------------------------------------------------

($st, $h, $j) = $t->post($path, {}, { -token => $a });
is($st, 400, 'no auth_code: 400');
ok($j->{errors}{auth_code}, '... errors.auth_code');
($st, $h, $j) = bind_code($a, 'x' x 129);
is($st, 400, 'a 129-character auth_code: 400');
($st, $h, $j) = $t->post($path, { auth_code => 'ok.2088000000000009' });
is($st, 401, 'no token: 401');

# ---- DELETE -----------------------------------------------------------------------

($st, $h, $j) = $t->delete($path, undef, { -token => $a });
is($st, 204, 'DELETE: 204');
is($j, '', '... empty body');
is($t->db_value('SELECT count(*) FROM alipay_binding WHERE user_id = ?',
    $uid_a), 0, '... the row is gone');
($st, $h, $j) = $t->get($path, { -token => $a });
is($st, 404, '... GET: 404');
($st, $h, $j) = $t->delete($path, undef, { -token => $a });
is($st, 404, '... DELETE again: 404');

($st, $h, $j) = bind_code($b, 'ok.2088000000000001');
is($st, 201, "B binds A's former account once A let go: 201");
is($t->db_value('SELECT alipay_user_id FROM alipay_binding WHERE user_id = ?',
    $uid_b), '2088000000000001', '... replacing its open_id binding');

# ---- a wrong Alipay key, then no gateway ---------------------------------------------

$t->write_conf('alipay.public_key_file' => "$keys/app.pub");
$t->signal('HUP');
sleep 1.5;
($st, $h, $j) = bind_code($a, 'ok.2088000000000003');
is($st, 503, 'answers signed by a key that is not Alipay\'s: 503');
$t->write_conf('alipay.public_key_file' => "$keys/alipay.pub");
$t->signal('HUP');
sleep 1.5;

FeatFake::stop($gw_pid);
($st, $h, $j) = bind_code($a, 'ok.2088000000000003');
is($st, 503, 'the gateway down: 503');
is($j->{code}, 'delivery_failed', '... delivery_failed');
is($t->db_value('SELECT count(*) FROM alipay_binding WHERE user_id = ?',
    $uid_a), 0, '... nothing bound');

$t->write_conf('alipay.gateway' => 'http://192.0.2.1:9/gateway.do');
$t->signal('HUP');
sleep 1.5;
($st, $h, $j) = bind_code($a, 'ok.2088000000000003');
is($st, 503, 'a plain http gateway off this host is refused: 503');
ok(grep({ /alipay\.gateway must be an https/ }
    $t->log_lines('featcgi-error.log')), '... without sending the code');

# A loopback prefix is no loopback host: in "http://127.0.0.1:9@192.0.2.1/"
# the part before '@' is user information and the host is 192.0.2.1.
for my $url ('http://127.0.0.1:9@192.0.2.1:9/gateway.do',
    'http://localhost:@192.0.2.1:9/gateway.do',
    'http://[::1]:9@192.0.2.1:9/gateway.do')
{
    my $before = refusals($t);
    $t->write_conf('alipay.gateway' => $url);
    $t->signal('HUP');
    sleep 1.5;
    ($st, $h, $j) = bind_code($a, 'ok.2088000000000003');
    is($st, 503, "gateway $url: 503");
    is(refusals($t), $before + 1, '... refused as plain http off this host');
}

sub refusals {
    my ($tt) = @_;

    return scalar(grep({ /alipay\.gateway must be an https/ }
        $tt->log_lines('featcgi-error.log')));
}

$t->stop;
done_testing;

#!/usr/bin/perl

# t/30-admin-auth.t: the console's sign-in and session (issue 13,
# featcgi-api(7) "ADMIN API"): sign-in right, wrong and unknown (the same
# answer), TOTP required, wrong, right and replayed, lockout by login and
# for unknown logins, the cookie's flags, JSON and Origin only, the
# session's row (token hashed), GET and DELETE, the CSRF token on every
# state-changing route of the table ("featcgi -R"), the app scope on
# every app-scoped route, the headers of every answer (errors too), the
# audit rows, and the end of a session by idle timeout and by age.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use FeatTest;
use JSON::PP;
use Test::More;

# the pages nginx serves at /admin/: a stand-in of the console's
my $pages = tempdir('featcgi-console-XXXXXX', TMPDIR => 1, CLEANUP => 1);
open(my $fh, '>', "$pages/index.html") or die;
print $fh "<!doctype html><title>console</title>\n";
close($fh);

my $t = FeatTest->new('login.max_failures' => 3,
    'login.ip_max_failures' => 1000, 'login.ip_hard_limit' => 1000,
    -console => $pages);
my ($st, $h, $j, $rc, $out, $err);
my $J = JSON::PP->new->canonical;
my %SEC = (
    'cache-control' => 'no-store',
    'x-content-type-options' => 'nosniff',
    'x-frame-options' => 'DENY',
    'content-security-policy' => "default-src 'none'; frame-ancestors 'none'",
    'referrer-policy' => 'no-referrer',
);

# The contract's headers on an answer.
sub headers_ok {
    my ($h, $label) = @_;
    my @bad = grep { ($h->{$_} // '') ne $SEC{$_} } sort keys %SEC;
    ok(!@bad, "$label: security headers") or diag("wrong: @bad");
}

sub audit_rows {
    my ($action) = @_;
    return $t->db_rows('SELECT * FROM audit WHERE action = ? ORDER BY id',
        $action);
}

($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'app shop') or diag($err);

# ---- the pages ------------------------------------------------------------

($st, $h, $j) = $t->get('/admin/');
is($st, 200, '/admin/: the console\'s index page');
like($j, qr{<title>console</title>}, '... index.html');
is($h->{'content-security-policy'}, "default-src 'self'; script-src 'self'; "
    . "style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    . "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    '... the console\'s Content-Security-Policy');
is($h->{'x-frame-options'}, 'DENY', '... X-Frame-Options: DENY');
is($h->{'x-content-type-options'}, 'nosniff', '... nosniff');

# ---- featctl ------------------------------------------------------------

($rc, $out, $err) = $t->featctl('manager', 'add', 'Ops', '--login', 'Bad!');
isnt($rc, 0, 'manager add: a bad login is refused');
like($err, qr/bad login/, '... saying so');
($rc, $out, $err) = $t->featctl('manager', 'add', 'Ops', '--login', 'x',
    '--app', 'shop', '--all-apps');
isnt($rc, 0, 'manager add: --app and --all-apps refused together');

my $ops = $t->admin_manager(login => 'ops', app => 'shop',
    password => 'ops-pass-1');
my $row = $t->db_row('SELECT * FROM managers WHERE id = ?', $ops->{id});
is($row->{login}, 'ops', 'manager add --login: stored');
is($row->{app_id}, 'shop', '... in its app');
is($row->{all_apps}, 0, '... not all apps');
like($row->{password}, qr/^\$scrypt\$/, 'manager passwd: a scrypt hash');
is($row->{totp_secret}, '', 'no TOTP secret yet');

($rc, $out, $err) = $t->featctl('manager', 'add', 'Ops 2', '--login', 'ops');
isnt($rc, 0, 'manager add: a login taken is refused');
like($err, qr/taken/, '... saying so');
is($t->db_value("SELECT count(*) FROM managers WHERE name = 'Ops 2'"), 0,
    '... and no manager is left half made');

($rc, $out, $err) = $t->featctl_in("short\n", 'manager', 'passwd',
    $ops->{id}, '--password-stdin');
isnt($rc, 0, 'manager passwd: a short password is refused');

my $root = $t->admin_manager(login => 'root', all_apps => 1);
$row = $t->db_row('SELECT * FROM managers WHERE id = ?', $root->{id});
is($row->{all_apps}, 1, 'manager add --all-apps');
is($row->{app_id}, '', '... recorded under the default app');

# ---- sign-in --------------------------------------------------------------

($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'ops', password => 'ops-pass-1' });
is($st, 200, 'sign-in: 200');
headers_ok($h, 'sign-in');
my $cookie = $h->{'set-cookie'} // '';
like($cookie, qr/^feat_admin=[0-9A-Za-z]{43}; Path=\/admin\/; HttpOnly; Secure; SameSite=Strict$/,
    'the cookie and exactly its flags');
my ($token) = $cookie =~ /^feat_admin=([^;]+)/;
is_deeply($j->{data}{manager}, { id => $ops->{id}, login => 'ops',
    name => 'ops', app_id => 'shop' }, 'the manager');
like($j->{data}{csrf}, qr/^[0-9A-Za-z]{43}$/, 'a CSRF token');
is($j->{data}{idle_timeout}, 1800, 'the idle timeout');
my $csrf = $j->{data}{csrf};

my $sess = $t->db_row('SELECT * FROM admin_sessions WHERE manager_id = ?',
    $ops->{id});
is($sess->{token_hash}, sha256_hex($token), 'the session: token stored hashed');
is($sess->{csrf}, $csrf, '... its CSRF token');
is($sess->{address}, '127.0.0.1', '... the address');
ok($sess->{created_at} && $sess->{created_at} == $sess->{last_seen},
    '... created and last seen');
my $a = audit_rows('admin.session.create');
is(scalar @$a, 1, 'sign-in audited');
is($a->[0]{actor}, "manager:$ops->{id}", '... by the manager');
is($a->[0]{app_id}, 'shop', '... in its app');
is($a->[0]{address}, '127.0.0.1', '... from its address');

# the same client as FeatTest's
my $c = bless({ t => $t, cookie => "feat_admin=$token", csrf => $csrf },
    'FeatTest::AdminClient');
($st, $h, $j) = $c->get('/admin/api/session');
is($st, 200, 'GET session: 200');
is($j->{data}{csrf}, $csrf, '... the same CSRF token');
is($j->{data}{manager}{login}, 'ops', '... the manager');
headers_ok($h, 'GET session');

($st, $h, $j) = $c->get('/admin/api/apps');
is($st, 200, 'GET apps');
is_deeply($j, { data => [ { id => 'shop', name => 'shop',
    path_id => 'shop' } ], total => 1, page => 1, size => 20 },
    '... only its own app');

# ---- refusals ---------------------------------------------------------------

my ($st1, $h1, $j1) = $t->post('/admin/api/session',
    { login => 'ops', password => 'wrong-pass' });
my ($st2, $h2, $j2) = $t->post('/admin/api/session',
    { login => 'nobody', password => 'wrong-pass' });
is($st1, 401, 'wrong password: 401');
is($j1->{error}{code}, 'bad_credentials', '... bad_credentials');
is($st2, $st1, 'unknown login: the same status');
is_deeply($j2, $j1, '... and the same body');
ok(!defined $h1->{'set-cookie'}, '... no cookie');
headers_ok($h2, 'a refused sign-in');
$a = audit_rows('admin.session.fail');
is(scalar @$a, 2, 'both failures audited');
is($a->[0]{actor}, "manager:$ops->{id}", '... a known login by its manager');
is($a->[1]{actor}, 'manager', '... an unknown one by no one');
is($J->decode($a->[0]{detail})->{reason}, 'password', '... the reason');

($st, $h, $j) = $t->post('/admin/api/session',
    'login=ops&password=ops-pass-1',
    { 'Content-Type' => 'application/x-www-form-urlencoded' });
is($st, 415, 'a form body: 415');
is($j->{error}{code}, 'media_type', '... media_type');

($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'ops', password => 'ops-pass-1' },
    { Origin => 'https://evil.example' });
is($st, 403, 'another Origin: 403');
is($j->{error}{code}, 'forbidden', '... forbidden');
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'ops', password => 'ops-pass-1' },
    { Origin => 'http://127.0.0.1:' . $t->port });
is($st, 200, 'its own Origin: 200');

($st, $h, $j) = $t->post('/admin/api/session', { login => 'ops' });
is($st, 400, 'no password: 400');
is($j->{error}{code}, 'bad_field', '... bad_field');
is($j->{error}{field}, 'password', '... naming it');

($st, $h, $j) = $t->get('/admin/api/session');
is($st, 401, 'no cookie: 401');
is($j->{error}{code}, 'no_session', '... no_session');
headers_ok($h, 'no session');
($st, $h, $j) = $t->get('/admin/api/session',
    { Cookie => 'feat_admin=' . ('A' x 43) });
is($st, 401, 'a cookie of no session: 401');

($st, $h, $j) = $t->get('/admin/api/nothing');
is($st, 404, 'an unknown admin path: 404');
is($j->{error}{code}, 'not_found', '... in the admin dialect');
headers_ok($h, 'an unknown path');
($st, $h, $j) = $t->get('/admin/api/nothing/');
is($j->{error}{code}, 'not_found', '... with a trailing slash too');
($st, $h, $j) = $t->request('PUT', '/admin/api/session');
is($st, 405, 'a method the path does not take: 405');
headers_ok($h, 'a 405');

# ---- CSRF on every state-changing route, the scope on every app route ----

my @routes = map { [ split ' ' ] } grep { /^[A-Z]+ \/admin\/api\// }
    split /\n/, `'${\ FeatTest::builddir()}/featcgi' -c '${\ $t->conf_file}' -R`;
ok(@routes >= 4, 'featcgi -R lists the admin routes');

my $all = $t->admin_login(login => 'root');
my $path = sub {
    my ($p, $app) = @_;
    $p =~ s/\{app\}/$app/;
    $p =~ s/\{\w+\}/1/g;
    return $p;
};

for my $r (@routes) {
    my ($m, $p, $d, $flags) = @$r;
    is($d, 'admin', "$m $p: the admin dialect");
    if ($p ne '/admin/api/session' || $m ne 'POST') {
        like($flags, qr/\bmanager\b/, "$m $p: needs a manager");
    }
    next if $m eq 'GET' || $flags !~ /manager/;

    ($st, $h, $j) = $c->request($m, $path->($p, 'shop'), {},
        { -no_csrf => 1 });
    is($st, 403, "$m $p without X-CSRF-Token: 403");
    is($j->{error}{code}, 'csrf', '... csrf');
    headers_ok($h, "$m $p refused");
    ($st, $h, $j) = $c->request($m, $path->($p, 'shop'), {},
        { -csrf => 'x' . substr($csrf, 1) });
    is($st, 403, "$m $p with a wrong X-CSRF-Token: 403");
}

my @scoped = grep { $_->[1] =~ m{^/admin/api/apps/\{app\}/} } @routes;
for my $r (@scoped) {
    my ($m, $p) = @$r;

    ($st, $h, $j) = $c->request($m, $path->($p, '~'), {});
    is($st, 404, "$m $p of another app: 404");
    is($j->{error}{code}, 'not_found', '... not_found');
    headers_ok($h, "$m $p of another app");
    ($st, $h, $j) = $c->request($m, $path->($p, 'nosuchapp'), {});
    is($st, 404, "$m $p of no app: 404");
    ($st, $h, $j) = $all->request($m, $path->($p, '~'), {});
    isnt($st, 404, "$m $p: an all-apps manager reaches the default app")
        if $m eq 'GET' && $p !~ /\{(?!app)\w+\}/;
}

($st, $h, $j) = $all->get('/admin/api/apps');
is_deeply([ map { $_->{path_id} } @{ $j->{data} } ], [ '~', 'shop' ],
    'an all-apps manager sees every app');
is($all->{manager}{app_id}, undef, '... and its app_id is null');

# ---- TOTP -----------------------------------------------------------------

my $two = $t->admin_manager(login => 'two', totp => 1);
like($two->{uri}, qr{^otpauth://totp/featcgi:two\?secret=[A-Z2-7]{32}&issuer=featcgi&algorithm=SHA1&digits=6&period=30$},
    'manager totp: the otpauth URI');
$row = $t->db_row('SELECT * FROM managers WHERE id = ?', $two->{id});
like($row->{totp_secret}, qr/^[0-9a-f]+$/, '... the secret stored sealed');
unlike(uc $row->{totp_secret}, qr/\Q$two->{secret}\E/, '... not in clear');

($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'two', password => 'admin-pw-1' });
is($st, 401, 'TOTP set, no code: 401');
is($j->{error}{code}, 'totp_required', '... totp_required');
my $code = FeatTest::totp_code($two->{secret});
my $wrong = sprintf('%06d', ("$code" + 1) % 1000000);
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'two', password => 'admin-pw-1', totp => $wrong });
is($j->{error}{code}, 'totp_required', 'a wrong code: totp_required');
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'two', password => 'wrong-pass', totp => "$code" });
is($j->{error}{code}, 'bad_credentials',
    'a right code with a wrong password: bad_credentials');

# the code of now; a step boundary between two reads is retried once
my $now = time;
$code = FeatTest::totp_code($two->{secret}, $now);
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'two', password => 'admin-pw-1', totp => $code });
is($st, 200, 'the right code: 200');
is($t->db_value('SELECT totp_step FROM managers WHERE id = ?', $two->{id}),
    int($now / 30), '... its step is spent');
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'two', password => 'admin-pw-1', totp => $code });
is($st, 401, 'the same code again: 401');
is($j->{error}{code}, 'totp_required', '... totp_required');
$a = audit_rows('admin.session.create');
is($J->decode($a->[-1]{detail})->{totp}, 1, 'the sign-in audited with TOTP');

($rc, $out, $err) = $t->featctl('manager', 'totp', $two->{id}, '--off');
is($rc, 0, 'manager totp --off') or diag($err);
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'two', password => 'admin-pw-1' });
is($st, 200, '... then the password alone signs in');

# ---- lockout ----------------------------------------------------------------

$t->admin_manager(login => 'lock', password => 'lock-pass-1');
for my $i (1 .. 3) {
    ($st, $h, $j) = $t->post('/admin/api/session',
        { login => 'lock', password => "wrong-$i" });
}
is($j->{error}{code}, 'bad_credentials', '3 failures: bad_credentials');
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'lock', password => 'lock-pass-1' });
is($st, 429, 'then the right password: 429');
is($j->{error}{code}, 'locked', '... locked');
is($h->{'retry-after'}, 900, '... Retry-After: login.window');
headers_ok($h, 'locked');
my $fails = $t->db_value("SELECT count(*) FROM audit WHERE action ="
    . " 'admin.session.fail' AND detail LIKE '%locked%'");
is($fails, 1, '... audited');

for my $i (1 .. 3) {
    ($st, $h, $j) = $t->post('/admin/api/session',
        { login => 'ghost', password => "wrong-$i" });
}
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'ghost', password => 'any-pass' });
is($st, 429, 'an unknown login locks the same way');

# ---- sign-out ---------------------------------------------------------------

($st, $h, $j) = $c->delete('/admin/api/session');
is($st, 204, 'sign-out: 204');
like($h->{'set-cookie'} // '', qr/^feat_admin=; Path=\/admin\/; HttpOnly; Secure; SameSite=Strict; Max-Age=0$/,
    '... the cookie cleared');
headers_ok($h, 'sign-out');
is($t->db_value('SELECT count(*) FROM admin_sessions WHERE id = ?',
    $sess->{id}), 0, '... the session deleted');
is(scalar @{ audit_rows('admin.session.delete') }, 1, '... audited');
($st, $h, $j) = $c->get('/admin/api/session');
is($st, 401, '... and the cookie no longer works');

# disable ends the manager's sessions and refuses its sign-in
my $d = $t->admin_login(login => 'ops', password => 'ops-pass-1');
($rc, $out, $err) = $t->featctl('manager', 'disable', $ops->{id});
is($rc, 0, 'manager disable') or diag($err);
is($t->db_value('SELECT disabled FROM managers WHERE id = ?', $ops->{id}),
    1, '... stored');
($st, $h, $j) = $d->get('/admin/api/session');
is($st, 401, '... its sessions end');
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'ops', password => 'ops-pass-1' });
is($st, 403, '... the right password: 403');
is($j->{error}{code}, 'forbidden', '... forbidden');
($st, $h, $j) = $t->post('/admin/api/session',
    { login => 'ops', password => 'wrong-pass' });
is($j->{error}{code}, 'bad_credentials',
    '... a wrong one: bad_credentials, as ever');
($rc, $out, $err) = $t->featctl('manager', 'enable', $ops->{id});
is($rc, 0, 'manager enable') or diag($err);

# passwd ends the manager's sessions
my $p = $t->admin_login(login => 'ops', password => 'ops-pass-1');
($rc, $out, $err) = $t->featctl_in("ops-pass-2\n", 'manager', 'passwd',
    $ops->{id}, '--password-stdin');
is($rc, 0, 'manager passwd again');
($st, $h, $j) = $p->get('/admin/api/session');
is($st, 401, '... ends the sessions of the old password');

$t->stop;

# ---- the end of a session -------------------------------------------------

my $t2 = FeatTest->new('admin.idle_timeout' => 2, 'admin.session_max' => 6);
my $idle = $t2->admin_login(login => 'idle');
($st, $h, $j) = $idle->get('/admin/api/session');
is($st, 200, 'a fresh session answers');
ok($t2->wait_for(sub { ($idle->get('/admin/api/session'))[0] == 401
    || (sleep(1), 0) }, 30), 'idle past admin.idle_timeout: 401');
is($t2->db_value('SELECT count(*) FROM admin_sessions'), 0,
    '... and the session is deleted');

# busy all along, still ended by admin.session_max
my $busy = $t2->admin_login(login => 'idle');
my $first = time;
my $ended = $t2->wait_for(sub {
    my ($s) = $busy->get('/admin/api/session');
    return 1 if $s == 401;
    sleep(0.5);
    return 0;
}, 40);
ok($ended, 'a session called every half second ends at admin.session_max');


$t2->stop;
done_testing;

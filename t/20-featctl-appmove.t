#!/usr/bin/perl

# 20-featctl-appmove.t: featctl app export / import's refusals and their
# secrets (issue 14, "Data"; featctl(8)), without a pool: the list of an
# app's tables guards the schema (a table with an app_id, a table hanging
# off an app's table, or a reference column it does not know makes export
# refuse, as a migration adding one would), secrets are left out without
# a passphrase and refused with a wrong one, an existing app id is refused
# unless --as names a free one, an archive of a newer schema, a file that
# is no archive and an existing output file are refused, and a refused
# import stores nothing.  Managers: no TOTP secret leaves (its manager
# comes disabled and is named to re-enrol), a manager of every app leaves
# as a name only, and a login the target has is refused before anything
# is written unless --skip-existing-logins.  t/50-appmove.t moves an app
# under load.

use strict;
use warnings;

use lib 't/lib';
use DBI;
use FeatTest;
use Test::More;

my $src = FeatTest->new(-no_start => 1);
my $dst = FeatTest->new(-no_start => 1);
my $dir = $src->dir;
my ($rc, $out, $err);

sub ctl_ok {
    my ($t, @args) = @_;
    my ($rc, $out, $err) = $t->featctl('--json', @args);

    is($rc, 0, "featctl @args: exit 0") or diag($err);
    return eval { FeatTest::json()->decode($out) } // {};
}

sub pass_file {
    my ($name, $text) = @_;
    open(my $fh, '>', "$dir/$name") or die "$dir/$name: $!";
    print {$fh} "$text\n";
    close($fh);
    return "$dir/$name";
}

ctl_ok($src, 'app', 'add', 'shop', '--name', 'The Shop');
ctl_ok($src, 'app', 'set', 'shop', 'weixin.key=0123456789abcdef',
    'weixin.mch_id=1900000109');
ctl_ok($src, 'manager', 'add', 'desk', '--app', 'shop');
ctl_ok($dst, 'app', 'add', 'shop');

my $good = pass_file('good', 'the right passphrase');
my $bad = pass_file('bad', 'the wrong passphrase');

# ---- export's refusals --------------------------------------------------------

($rc, $out, $err) = $src->featctl('app', 'export', 'nosuch', "$dir/x.app");
is($rc, 1, 'export of an unknown app: exit 1');
like($err, qr/no app "nosuch"/, '... says why');
ok(!-e "$dir/x.app", '... no file');
is(scalar(() = glob("$dir/x.app*")), 0, '... no temp file either');

($rc, $out, $err) = $src->featctl('app', 'export', 'shop');
is($rc, 2, 'export without FILE: exit 2');

($rc, $out, $err) = $src->featctl('app', 'export', 'shop', "$dir/x.app",
    '--passphrase-file', pass_file('short', 'short'));
is($rc, 1, 'a passphrase under 8 bytes: exit 1');

# the guard: what a migration might add and the list does not know
for my $case (
    [ 'CREATE TABLE loyalty (id INTEGER PRIMARY KEY, app_id TEXT NOT NULL'
      . ' REFERENCES apps (id), points INTEGER)', 'DROP TABLE loyalty',
      qr/table loyalty holds an app's rows/, 'a table with app_id' ],
    [ 'CREATE TABLE user_tags (user_id INTEGER REFERENCES users (id),'
      . ' tag TEXT)', 'DROP TABLE user_tags',
      qr/table user_tags holds an app's rows/, 'a table hanging off users' ],
    [ 'ALTER TABLE faq ADD COLUMN author_id INTEGER REFERENCES users (id)',
      'ALTER TABLE faq DROP COLUMN author_id',
      qr/faq\.author_id references users and .* does not remap it/,
      'a reference column in a known table' ],
) {
    my ($make, $undo, $re, $what) = @$case;
    $src->dbh->do($make);
    ($rc, $out, $err) = $src->featctl('app', 'export', 'shop', "$dir/x.app");
    is($rc, 1, "$what: export refuses, exit 1");
    like($err, $re, '... naming it');
    ok(!-e "$dir/x.app", '... no file');
    $src->dbh->do($undo);
}

# ---- secrets -------------------------------------------------------------------

# also the guard's other half: every table of the shipped migrations is
# known, so a fresh install's export passes (a new migration's app table
# makes this fail until tools/ctl_appmove.c lists it)
my $r = ctl_ok($src, 'app', 'export', 'shop', "$dir/plain.app");
is($r->{secrets}, 0, 'without a passphrase: no secret in the archive');
is($r->{secrets_left_out}, 1, '... 1 left out');
($rc, $out, $err) = $src->featctl('app', 'export', 'shop', "$dir/plain2.app");
like($err, qr/1 secret setting left out: give --passphrase-file/,
    '... and the people\'s form says so');
{
    my $a = DBI->connect("dbi:SQLite:dbname=$dir/plain.app", '', '',
        { RaiseError => 1 });
    is($a->selectrow_array('SELECT count(*) FROM app_settings'), 1,
        '... the plain setting is there');
    is($a->selectrow_array(q{SELECT value FROM meta WHERE key = 'secrets'}),
        'left out', '... meta says they were left out');
    $a->disconnect;
}

($rc, $out, $err) = $src->featctl('app', 'export', 'shop', "$dir/plain.app");
is($rc, 1, 'an existing FILE: exit 1');
like($err, qr/exists/, '... never replaced');

ctl_ok($src, 'app', 'export', 'shop', "$dir/sealed.app", '--passphrase-file',
    $good);

# ---- import's refusals -------------------------------------------------------------

sub dst_counts {
    return join(',', map { $dst->db_value("SELECT count(*) FROM $_") }
        qw(apps users managers app_settings));
}
my $counts = dst_counts();

($rc, $out, $err) = $dst->featctl('app', 'import', "$dir/sealed.app",
    '--passphrase-file', $good);
is($rc, 1, 'an app id the target has: exit 1');
like($err, qr/app "shop" exists in this install: import the archive --as/,
    '... says --as');

($rc, $out, $err) = $dst->featctl('app', 'import', "$dir/sealed.app", '--as',
    'mall', '--passphrase-file', $bad);
is($rc, 1, 'a wrong passphrase: exit 1');
like($err, qr/do not open with this passphrase/, '... says why');

($rc, $out, $err) = $dst->featctl('app', 'import', "$dir/sealed.app", '--as',
    'Bad Id', '--passphrase-file', $good);
is($rc, 1, 'a bad --as: exit 1');

($rc, $out, $err) = $dst->featctl('app', 'import', $good);
is($rc, 1, 'a file that is no archive: exit 1');
like($err, qr/not an app archive/, '... says so');

{
    my $a = DBI->connect("dbi:SQLite:dbname=$dir/plain.app", '', '',
        { RaiseError => 1 });
    $a->do(q{UPDATE meta SET value = 99999 WHERE key = 'schema_version'});
    $a->disconnect;
}
($rc, $out, $err) = $dst->featctl('app', 'import', "$dir/plain.app", '--as',
    'mall');
is($rc, 1, 'an archive of a newer schema: exit 1');
like($err, qr/schema version 99999, this install is at \d+/, '... says so');

is(dst_counts(), $counts, 'the refused imports stored nothing');

# ---- --as ------------------------------------------------------------------------

$r = ctl_ok($dst, 'app', 'import', "$dir/sealed.app", '--as', 'mall',
    '--passphrase-file', $good);
is($r->{app_id}, 'mall', 'imported --as mall');
is($r->{from_app_id}, 'shop', '... from shop');
is($r->{secrets}, 1, '... with its secret');
is($dst->db_value(q{SELECT name FROM apps WHERE id = 'mall'}), 'The Shop',
    '... the app\'s name');
is($dst->db_value(q{SELECT name FROM managers WHERE app_id = 'mall'}),
    'desk', '... its manager');
is($dst->db_value(q{SELECT value FROM app_settings WHERE app_id = 'mall'
    AND key = 'weixin.mch_id'}), '1900000109', '... its plain setting');
ok(defined $dst->db_value(q{SELECT sealed FROM app_settings
    WHERE app_id = 'mall' AND key = 'weixin.key'}), '... its secret, sealed');
is($dst->db_value(q{SELECT count(*) FROM managers WHERE app_id = 'shop'}), 0,
    '... the target\'s own shop untouched');
like(join("\n", ($dst->featctl('app', 'get', 'mall', 'weixin.key'))[1]),
    qr/\(set\)/, 'featctl app get: (set)');

# ---- managers: logins, TOTP, managers of every app ---------------------------

# shop's team: a login with TOTP, a login without, and (in "") a manager of
# every app; the target has a login "clerk" of its own
my $ops = $src->admin_manager(login => 'ops', app => 'shop', totp => 1);
my $clerk = $src->admin_manager(login => 'clerk', app => 'shop');
my $root = $src->admin_manager(login => 'root', all_apps => 1, totp => 1);
my $own = $dst->admin_manager(login => 'clerk');
my $ops_row = $src->db_row('SELECT * FROM managers WHERE id = ?', $ops->{id});

($rc, $out, $err) = $src->featctl('--json', 'app', 'export', 'shop',
    "$dir/team.app", '--passphrase-file', $good);
is($rc, 0, 'export of shop\'s team: exit 0') or diag($err);
$r = FeatTest::json()->decode($out);
is($r->{managers_totp_left_out}, 1, '... one TOTP secret left out');
is($r->{managers_name_only}, 0, '... no manager of every app in shop');
like($err, qr/TOTP secret of 1 manager left out .*re-enrols/,
    '... and it says so');
{
    my $a = DBI->connect("dbi:SQLite:dbname=$dir/team.app", '', '',
        { RaiseError => 1 });
    my $m = $a->selectrow_hashref('SELECT * FROM managers WHERE login = ?',
        undef, 'ops');
    is_deeply([ @$m{qw(totp_secret totp_step password all_apps)} ],
        [ '', 0, $ops_row->{password}, 0 ],
        'the archive: no TOTP secret, the password hash as it was');
    is($a->selectrow_array(q{SELECT value FROM meta
        WHERE key = 'managers_reenrol'}), "[$ops->{id}]",
        '... meta names the manager who re-enrols');
    $a->disconnect;

    # overwritten, not left in a free page of the file
    open(my $fh, '<:raw', "$dir/team.app") or die $!;
    my $bytes = do { local $/; <$fh> };
    close($fh);
    ok(index($bytes, $ops_row->{totp_secret}) < 0,
        '... the sealed secret nowhere in the file');
}

$counts = dst_counts();
($rc, $out, $err) = $dst->featctl('app', 'import', "$dir/team.app", '--as',
    'team', '--passphrase-file', $good);
is($rc, 1, 'a manager login the target has: exit 1');
like($err, qr/manager login "clerk" exists in this install: nothing/,
    '... naming it');
like($err, qr/nothing imported; give --skip-existing-logins/,
    '... and the way out');
is(dst_counts(), $counts, '... nothing stored');
is($dst->db_value(q{SELECT count(*) FROM apps WHERE id = 'team'}), 0,
    '... no app');

($rc, $out, $err) = $dst->featctl('--json', 'app', 'import', "$dir/team.app",
    '--as', 'team', '--passphrase-file', $good, '--skip-existing-logins');
is($rc, 0, '--skip-existing-logins: exit 0') or diag($err);
$r = FeatTest::json()->decode($out);
my %new = map { $_->{name} => $_ } @{ $dst->db_rows(q{SELECT * FROM managers
    WHERE app_id = 'team'}) };
is_deeply([ sort keys %new ], [ qw(clerk desk ops) ],
    '... shop\'s three managers, the one of every app not among them');
is_deeply($r->{managers_reenrol}, [ { id => $new{ops}{id}, login => 'ops' } ],
    '... ops re-enrols');
is_deeply($r->{managers_without_login}, [ { id => $new{clerk}{id},
    name => 'clerk', login => 'clerk', reason => 'login taken' } ],
    '... clerk comes without its login');
my $i = $new{ops}{id};
like($err, qr/^featctl: manager $i \(ops\) had TOTP.* disabled .*: featctl/m,
    '... and says who re-enrols');
like($err, qr/featctl manager totp $i, then featctl manager enable $i$/m,
    '... with what to run');
$i = $new{clerk}{id};
like($err, qr/^featctl: manager $i came without its login "clerk" \(the/m,
    '... and who has no login');
like($err, qr/\(the login is taken here\)/, '... and why');
is_deeply([ @{ $new{ops} }{qw(login password totp_secret totp_step disabled
    all_apps)} ], [ 'ops', $ops_row->{password}, '', 0, 1, 0 ],
    'ops stored: its login and hash, no TOTP, disabled');
is_deeply([ @{ $new{clerk} }{qw(login password disabled)} ], [ undef, '', 0 ],
    'clerk stored: a name, no login, no hash');
is_deeply($dst->db_row('SELECT * FROM managers WHERE id = ?', $own->{id}),
    { %{ $dst->db_row('SELECT * FROM managers WHERE id = ?', $own->{id}) },
      login => 'clerk', app_id => '' }, 'the target\'s own clerk kept');
is($dst->db_value(q{SELECT count(*) FROM managers WHERE login = 'clerk'}), 1,
    '... the one clerk');

# re-enrolled, ops is a manager like any other
ctl_ok($dst, 'manager', 'totp', $new{ops}{id});
ctl_ok($dst, 'manager', 'enable', $new{ops}{id});
is_deeply([ $dst->dbh->selectrow_array('SELECT totp_secret != \'\', disabled'
    . ' FROM managers WHERE id = ?', undef, $new{ops}{id}) ], [ 1, 0 ],
    'ops after manager totp and enable: TOTP set, enabled');

# a manager of every app leaves as a name only
($rc, $out, $err) = $src->featctl('--json', 'app', 'export', '',
    "$dir/home.app");
is($rc, 0, 'export of the default app: exit 0') or diag($err);
is(FeatTest::json()->decode($out)->{managers_name_only}, 1,
    '... one manager of every app, as a name');
like($err, qr/1 manager of every app exported as a name only/,
    '... and it says so');
{
    my $a = DBI->connect("dbi:SQLite:dbname=$dir/home.app", '', '',
        { RaiseError => 1 });
    is_deeply($a->selectrow_hashref(q{SELECT login, password, totp_secret,
        totp_step, all_apps FROM managers WHERE name = 'root'}),
        { login => undef, password => '', totp_secret => '', totp_step => 0,
          all_apps => 0 }, '... no login, hash, secret or all_apps in it');
    is($a->selectrow_array(q{SELECT value FROM meta
        WHERE key = 'managers_reenrol'}), '[]', '... none re-enrols');
    $a->disconnect;
}
is($src->db_value('SELECT all_apps FROM managers WHERE id = ?', $root->{id}),
    1, '... the source\'s root untouched');
my $all = $dst->db_value('SELECT count(*) FROM managers WHERE all_apps = 1');
ctl_ok($dst, 'app', 'import', "$dir/home.app", '--as', 'home');
is_deeply($dst->db_row(q{SELECT login, password, all_apps FROM managers
    WHERE app_id = 'home' AND name = 'root'}),
    { login => undef, password => '', all_apps => 0 },
    'imported: root is a name in home only');
is($dst->db_value('SELECT count(*) FROM managers WHERE all_apps = 1'), $all,
    '... no new manager of every app');

# an archive of an older featctl: a sealed TOTP secret and a manager of
# every app as they were at the source
{
    system('cp', "$dir/team.app", "$dir/old.app") == 0 or die;
    my $a = DBI->connect("dbi:SQLite:dbname=$dir/old.app", '', '',
        { RaiseError => 1 });
    $a->do(q{UPDATE managers SET all_apps = 1, totp_secret = ?
        WHERE login = 'ops'}, undef, $ops_row->{totp_secret});
    $a->do(q{UPDATE managers SET login = 'clerk2', totp_secret = ?
        WHERE login = 'clerk'}, undef, $ops_row->{totp_secret});
    $a->do(q{DELETE FROM meta WHERE key = 'managers_reenrol'});
    $a->disconnect;
}
$r = ctl_ok($dst, 'app', 'import', "$dir/old.app", '--as', 'old',
    '--passphrase-file', $good);
%new = map { $_->{name} => $_ } @{ $dst->db_rows(q{SELECT * FROM managers
    WHERE app_id = 'old'}) };
is_deeply([ @{ $new{ops} }{qw(login password totp_secret all_apps)} ],
    [ undef, '', '', 0 ], 'an older archive: its manager of every app a name');
is_deeply([ @{ $new{clerk} }{qw(login totp_secret disabled)} ],
    [ 'clerk2', '', 1 ], '... its sealed TOTP dropped, the manager disabled');
is_deeply([ map { $_->{login} } @{ $r->{managers_reenrol} } ], [ 'clerk2' ],
    '... and named to re-enrol');
is_deeply([ map { "$_->{login}:$_->{reason}" }
    @{ $r->{managers_without_login} } ], [ 'ops:all apps' ],
    '... the manager of every app named');

$src->stop;
$dst->stop;
done_testing;

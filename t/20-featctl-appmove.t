#!/usr/bin/perl

# 20-featctl-appmove.t: featctl app export / import's refusals and their
# secrets (issue 14, "Data"; featctl(8)), without a pool: the list of an
# app's tables guards the schema (a table with an app_id, a table hanging
# off an app's table, or a reference column it does not know makes export
# refuse, as a migration adding one would), secrets are left out without
# a passphrase and refused with a wrong one, an existing app id is refused
# unless --as names a free one, an archive of a newer schema, a file that
# is no archive and an existing output file are refused, and a refused
# import stores nothing.  t/50-appmove.t moves an app under load.

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

$src->stop;
$dst->stop;
done_testing;

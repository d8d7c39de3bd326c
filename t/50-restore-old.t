#!/usr/bin/perl

# 50-restore-old.t: "featctl db restore" of a database from an older
# schema (issue 14, "Data": restore migrates older schemas).  The test
# builds one as an older featcgi left it: the migrations of sql/ up to
# 0100 applied with sqlite3 and recorded in schema_version, then rows put
# in (a user with a password, feedback, FAQ entries).  Restored into the
# running install, it is migrated to the current schema (the later
# migrations recorded, their columns there), the rows are kept, and the
# pool serves them at once: the user logs in with the password and reads
# the feedback, the FAQ is listed.  What the live database held is kept
# beside it.

use strict;
use warnings;

use lib 't/lib';
use DBI;
use FeatTest;
use Test::More;

my $OLD = 100;          # the schema version the old database stops at

my $t = FeatTest->new(workers => 2);
my $dir = $t->dir;
my $src = FeatTest::srcdir();

my @migrations = sort { $a->[0] <=> $b->[0] }
    map { m{/((\d{4})_[^/]+)\.sql$} ? [ $2 + 0, $1, $_ ] : () }
    glob("$src/sql/*.sql");
my ($current) = map { $_->[0] } $migrations[-1];
my @old = grep { $_->[0] <= $OLD } @migrations;
cmp_ok($current, '>', $OLD, "the current schema ($current) is newer than "
    . "$OLD") or die "nothing to migrate\n";
is($t->db_value('SELECT max(version) FROM schema_version'), $current,
    '... and it is the live one');

# A user registered on the live install gives a password hash that this
# install's scrypt settings read; the old database gets that row.
my $phone = '13900030001';
my $reg = $t->register_v2($phone, 'old-secret');
my $user = $t->db_row('SELECT * FROM users WHERE phone = ?', $phone);
ok($user && $user->{password} ne '', 'a user with a password hash');

# ---- the old database --------------------------------------------------------

my $file = "$dir/old.db";
my $odb = DBI->connect("dbi:SQLite:dbname=$file", '', '',
    { RaiseError => 1, PrintError => 0, AutoCommit => 1,
      sqlite_allow_multiple_statements => 1 });
$odb->do('PRAGMA foreign_keys = ON');
$odb->do('CREATE TABLE IF NOT EXISTS schema_version ('
    . ' version INTEGER PRIMARY KEY, name TEXT, applied_at INTEGER)');
for my $m (@old) {
    my $sql = FeatTest::_slurp($m->[2]);
    $odb->begin_work;
    $odb->do($sql);
    $odb->do('INSERT INTO schema_version (version, name, applied_at)'
        . ' VALUES (?, ?, ?)', undef, $m->[0], $m->[1], time);
    $odb->commit;
}
is($odb->selectrow_array('SELECT max(version) FROM schema_version'), $OLD,
    scalar(@old) . " migrations applied: schema version $OLD");
ok(!grep({ $_->[1] eq 'deleted_at' }
        @{ $odb->selectall_arrayref('PRAGMA table_info(users)') }),
    '... users without 0121\'s deleted_at');

# The user: the columns the old table has, from the live row.
{
    my @cols = grep { exists $user->{$_} }
        map { $_->[1] }
        @{ $odb->selectall_arrayref('PRAGMA table_info(users)') };
    $odb->do(sprintf('INSERT INTO users (%s) VALUES (%s)', join(', ', @cols),
        join(', ', ('?') x @cols)), undef, map { $user->{$_} } @cols);
}
my $now = time;
for my $i (1 .. 3) {
    $odb->do(q{INSERT INTO feedback (app_id, user_id, content, created_at,
        updated_at) VALUES ('', ?, ?, ?, ?)}, undef, $user->{id},
        "old feedback $i", $now - 100 + $i, $now - 100 + $i);
}
for my $i (1 .. 2) {
    $odb->do(q{INSERT INTO faq (app_id, title, content, created_at,
        updated_at) VALUES ('', ?, ?, ?, ?)}, undef, "old question $i",
        "old answer $i", $now, $now);
}
is($odb->selectrow_array('PRAGMA integrity_check'), 'ok', 'the old database'
    . ' is sound');
$odb->disconnect;

# The live install has moved on meanwhile.
my ($st, undef, $j) = $t->post('/api/feedback',
    { feedback_content => 'live only' }, { -token => $reg->{access_token} });
is($j->{code}, 0, 'a feedback on the live install');

# ---- restored into the running install ---------------------------------------

my ($rc, $out, $err) = $t->featctl('db', 'restore', $file);
is($rc, 0, 'featctl db restore of the old database: done') or diag($err);
my $n = grep { $_->[0] > $OLD } @migrations;
like($out, qr/\(schema version $OLD, $n migrations? applied\)/,
    "... from schema $OLD, $n migrations applied");
my ($prev) = $out =~ /previous database is kept in (\S+)$/m;

is($t->db_value('SELECT max(version) FROM schema_version'), $current,
    "the live database is at the current schema ($current)");
is($t->db_value('SELECT count(*) FROM schema_version WHERE version > ?',
    $OLD), $n, '... each later migration recorded');
ok((grep { $_->[1] eq 'deleted_at' }
        @{ $t->dbh->selectall_arrayref('PRAGMA table_info(users)') }),
    '... users has 0121\'s deleted_at');
is($t->db_value('PRAGMA integrity_check'), 'ok', '... sound');
is($t->db_value('PRAGMA foreign_key_check'), undef, '... no broken reference');
($rc, $out) = $t->featctl('db', 'migrate');
like($out, qr/applied 0 migrations, schema version $current/,
    '... nothing left to migrate');

is_deeply($t->dbh->selectcol_arrayref(
        'SELECT content FROM feedback ORDER BY id'),
    [ map { "old feedback $_" } 1 .. 3 ], 'the old rows are there, the live'
    . ' one is not');
if (defined $prev && -e $prev) {
    my $d = DBI->connect("dbi:SQLite:dbname=$prev", '', '',
        { RaiseError => 1, sqlite_open_flags => 1 });
    is($d->selectrow_array(q{SELECT count(*) FROM feedback
        WHERE content = 'live only'}), 1, '... which is kept in the previous'
        . ' database');
    $d->disconnect;
} else {
    fail('the previous database is kept') or diag($out);
}

# ---- served by the API -------------------------------------------------------

($st, undef, $j) = $t->post('/api/auth/access_token',
    { account => $phone, password => 'old-secret' });
is($j->{code}, 0, 'the old user logs in with the old password')
    or diag(explain($j));
my $tok = $j->{data}{access_token};
($st, undef, $j) = $t->get('/api/feedback', { -token => $tok });
is($j->{code}, 0, 'GET /api/feedback: 0');
is($j->{data}{total}, 3, '... 3 entries');
is_deeply([ map { $_->{feedback_content} } @{ $j->{data}{data} } ],
    [ map { "old feedback $_" } reverse 1 .. 3 ], '... the old ones, newest'
    . ' first');

($st, undef, $j) = $t->get('/faq');
is($st, 200, 'GET /faq: 200');
is_deeply([ sort map { $_->{faq_title} } @{ $j->{data}{data} } ],
    [ 'old question 1', 'old question 2' ], '... the old entries');

# and it writes on the migrated schema
($st, undef, $j) = $t->post('/api/feedback',
    { feedback_content => 'after the restore' }, { -token => $tok });
is($j->{code}, 0, 'a write after the restore: 0');
is($t->db_value('SELECT count(*) FROM feedback WHERE content = ?',
    'after the restore'), 1, '... stored');

$t->stop;
done_testing;

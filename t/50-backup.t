#!/usr/bin/perl

# 50-backup.t: "featctl db backup" of a busy database (issue 14, "found
# under load first": it restarted its copy at every commit and never
# finished under 8 writers).  A backup taken while 8 clients keep writing
# finishes, is one self-contained file that passes integrity_check, and
# holds every write acknowledged before it began.  A backup interrupted by
# SIGTERM leaves no temporary file; one killed outright leaves one that the
# next backup to the same file removes.  "featctl db restore" puts the
# backup back under the running pool, keeping the previous database, and
# refuses a file from a newer schema or one that is no sound database.

use strict;
use warnings;

use lib 't/lib';
use DBI;
use FeatTest qw(load);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $t = FeatTest->new(workers => 2);
my $dir = $t->dir;
my $writers = 8;
my %tok;

for my $c (1 .. $writers) {
    $tok{$c} = $t->register_v2(sprintf('1390000%04d', $c), "secret$c")
        ->{access_token};
}

# Some 100 MB the copy needs a good many steps for: between two steps the
# writers commit, which restarted the old backup from its first page.
{
    my $dbh = $t->dbh;
    $dbh->do('CREATE TABLE t_filler (b BLOB)');
    $dbh->begin_work;
    $dbh->do('INSERT INTO t_filler VALUES (randomblob(100000))') for 1 .. 1000;
    $dbh->commit;
}

# ---- a backup under 8 writers ------------------------------------------------

my $file = "$dir/backup.db";
my ($began, $rc, $out, $err);

my $res = load(t => $t, clients => $writers, seconds => 200, stop => 1,
    request => sub {
        my ($c, $i) = @_;
        return ('POST', '/api/feedback', { feedback_content => "c$c-$i" },
            { -token => $tok{$c} }, time);
    },
    during => sub {
        sleep(1);
        $began = time;
        ($rc, $out, $err) = $t->featctl('db', 'backup', $file);
        sleep(0.5);
    });

is($rc, 0, 'the backup under 8 writers finished') or diag("$err$out");
like($out, qr/^backup of \d+ pages written to \Q$file\E$/m, '... saying so');
cmp_ok($res->{ok}, '>', 50, "$res->{ok} writes acknowledged meanwhile");
is($res->{failed}, 0, '... none failed') or diag(explain($res->{status}));

die "no backup at $file\n" if !-e $file;
my $bk = DBI->connect("dbi:SQLite:dbname=$file", '', '',
    { RaiseError => 1, PrintError => 0, sqlite_open_flags => 1 });
is($bk->selectrow_array('PRAGMA integrity_check'), 'ok',
    'the copy passes integrity_check');
is(scalar(@{ $bk->selectall_arrayref('PRAGMA foreign_key_check') }), 0,
    '... and foreign_key_check');
is($bk->selectrow_array('PRAGMA journal_mode'), 'delete',
    '... one file, not in WAL mode');
ok(!-e "$file-wal", '... no WAL beside it');
is($bk->selectrow_array('SELECT count(*) FROM t_filler'), 1000,
    '... with every filler row');

# A write was acknowledged before the backup began when its client had
# sent its next request by then (each client waits for its answers).
my %stored = map { $_->[0] => 1 }
    @{ $bk->selectall_arrayref('SELECT content FROM feedback') };
my %by;
push @{ $by{ $_->{client} } }, $_ for @{ $res->{answers} };
my ($acked, @missing) = (0);
for my $c (keys %by) {
    my @a = sort { $a->{i} <=> $b->{i} } @{ $by{$c} };
    for my $k (0 .. $#a - 1) {
        next if $a[$k + 1]{tag} >= $began || $a[$k]{status} != 200;
        $acked++;
        push @missing, "c$c-$a[$k]{i}" if !$stored{"c$c-$a[$k]{i}"};
    }
}
cmp_ok($acked, '>', 10, "$acked writes acknowledged before the backup began");
is(scalar(@missing), 0, '... every one is in the copy')
    or diag(join(' ', @missing[0 .. ($#missing < 9 ? $#missing : 9)]));
$bk->disconnect;

# ---- interrupted: no temporary file left -------------------------------------

# The temporary files beside backup file f (a list; glob in scalar context
# would iterate).
sub temps { my ($f) = @_; my @l = glob("$f.tmp-*"); return @l }
sub ntemps { my @l = temps(@_); return scalar(@l) }

my $file2 = "$dir/backup2.db";
my $pid = fork();
die "fork: $!" if !defined $pid;
if ($pid == 0) {
    open(STDOUT, '>', "$dir/backup2.out");
    open(STDERR, '>&', \*STDOUT);
    { no warnings q(exec);
      exec("$t->{build}/featctl", '-c', $t->conf_file, 'db', 'backup',
          $file2); }
    POSIX::_exit(127);
}
# The temporary file appears once the copy runs (its handlers are set).
my $seen = $t->wait_for(sub { ntemps($file2) }, 30);
kill('TERM', $pid);
waitpid($pid, 0);
my $st = $?;
ok($seen, 'a second backup started copying');
is($st >> 8, 1, 'SIGTERM ended it with status 1')
    or diag(FeatTest::_slurp("$dir/backup2.out"));
like(FeatTest::_slurp("$dir/backup2.out"), qr/interrupted/,
    '... saying it was interrupted');
is(ntemps($file2), 0, '... leaving no temporary file')
    or diag(join(' ', temps($file2)));
ok(!-e $file2, '... and no backup');

# ---- killed outright: the next backup tidies up ------------------------------

my $dead = fork() // die "fork: $!";
POSIX::_exit(0) if $dead == 0;
waitpid($dead, 0);
for my $f ("$file2.tmp-$dead", "$file2.tmp-$dead-journal", "$file2.tmp-$$") {
    open(my $fh, '>', $f) or die "$f: $!";
    close($fh);
}
($rc, $out, $err) = $t->featctl('db', 'backup', $file2);
is($rc, 0, 'the next backup to that file succeeds') or diag($err);
ok(!-e "$file2.tmp-$dead" && !-e "$file2.tmp-$dead-journal",
    '... and removes what a killed backup left');
ok(-e "$file2.tmp-$$", '... but not the file of a live process');
unlink("$file2.tmp-$$");

# ---- restore -----------------------------------------------------------------

my $in_backup = do {
    my $d = DBI->connect("dbi:SQLite:dbname=$file", '', '',
        { RaiseError => 1, sqlite_open_flags => 1 });
    my $n = $d->selectrow_array('SELECT count(*) FROM feedback');
    $d->disconnect;
    $n;
};
my $live_before = $t->db_value('SELECT count(*) FROM feedback');
cmp_ok($live_before, '>', $in_backup,
    "the live database has more feedback ($live_before) than the backup "
    . "($in_backup)");

# Refused: a newer schema, a file that is no database; nothing changes.
my $newer = "$dir/newer.db";
{
    open(my $in, '<:raw', $file) or die;
    open(my $o, '>:raw', $newer) or die;
    local $/;
    print {$o} <$in>;
}
{
    my $d = DBI->connect("dbi:SQLite:dbname=$newer", '', '',
        { RaiseError => 1 });
    $d->do(q{INSERT INTO schema_version (version, name, applied_at)
        VALUES (99999, 'from the future', 0)});
    $d->disconnect;
}
($rc, $out, $err) = $t->featctl('db', 'restore', $newer);
is($rc, 1, 'restore of a newer schema: refused');
like($err, qr/newer featcgi \(schema version 99999/, '... saying so');

my $junk = "$dir/junk.db";
open(my $jf, '>', $junk) or die;
print {$jf} "this is not a database\n" x 200;
close($jf);
($rc, $out, $err) = $t->featctl('db', 'restore', $junk);
is($rc, 1, 'restore of a file that is no database: refused');
like($err, qr/not a database|integrity/, '... saying so');
is($t->db_value('SELECT count(*) FROM feedback'), $live_before,
    '... the live database unchanged by either');

# The backup back, with the pool running.
($rc, $out, $err) = $t->featctl('db', 'restore', $file);
is($rc, 0, 'restore of the backup: done') or diag($err);
my ($prev) = $out =~ /previous database is kept in (\S+)$/m;
ok(defined $prev && -e $prev, '... the previous database kept') or diag($out);
is($t->db_value('SELECT count(*) FROM feedback'), $in_backup,
    '... the live database holds what the backup held');
if (defined $prev && -e $prev) {
    my $d = DBI->connect("dbi:SQLite:dbname=$prev", '', '',
        { RaiseError => 1, sqlite_open_flags => 1 });
    is($d->selectrow_array('SELECT count(*) FROM feedback'), $live_before,
        '... the kept one what the live one held');
    is($d->selectrow_array('PRAGMA integrity_check'), 'ok', '... sound');
    $d->disconnect;
}
is($t->db_value('PRAGMA integrity_check'), 'ok', 'the live database is sound');
ok(!glob($t->conf->{database} . '.restore-*'), 'no restore copy left');

# The pool serves the restored data at once: a user of the backup reads
# and writes, and the write is stored.
my ($rst, undef, $rj) = $t->post('/api/feedback',
    { feedback_content => 'after the restore' }, { -token => $tok{1} });
is($rst, 200, 'a write after the restore: 200');
is($t->db_value('SELECT count(*) FROM feedback WHERE content = ?',
    'after the restore'), 1, '... stored');
($rst) = $t->get('/healthz');
is($rst, 200, 'and /healthz is well');

$t->stop;
done_testing;

#!/usr/bin/perl

# 50-backup-scheduled.t: the jobs process's scheduled backups (issue 14,
# "Data"; backup.dir, backup.interval, backup.keep in featcgi.conf(5)).
# With backup.interval = 1 and 8 clients writing feedback through nginx,
# the jobs process writes backups featcgi-YYYYMMDDTHHMMSSZ.db; /healthz
# and featctl status show the last one; after a reload with backups off,
# exactly backup.keep files remain, the newest ones written, and nothing
# else; each passes integrity_check; the newest one, restored with
# "featctl db restore" under the running pool, holds every write
# acknowledged before its copy began (the second its name gives), and the
# pool serves those rows.  A reload during a copy removes its temporary
# file.  A backup.dir that cannot be written, or a full file system (a
# small tmpfs, where root may mount one), logs the reason at each
# interval, leaves no temporary file, shows in /healthz and featctl status
# as failed, and the pool keeps serving; featcgi -t and featctl check warn
# about such a directory, and refuse bounds out of range.

use strict;
use warnings;

use lib 't/lib';
use DBI;
use FeatTest qw(load);
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);

my $t = FeatTest->new(workers => 2, -no_start => 1);
my $dir = $t->dir;
my $bdir = "$dir/backups";
my $keep = 3;
my $writers = 8;
my $name_re = qr/^featcgi-(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z\.db$/;

mkdir($bdir, 0700) or die "$bdir: $!";
# A file of someone else's in the directory: never touched.
{
    open(my $fh, '>', "$bdir/notes.txt") or die;
    print {$fh} "mine\n";
    close($fh);
}

# Some 30 MB, so a copy takes several slices while the writers commit.
{
    my $dbh = $t->dbh;
    $dbh->do('CREATE TABLE t_filler (b BLOB)');
    $dbh->begin_work;
    $dbh->do('INSERT INTO t_filler VALUES (randomblob(100000))') for 1 .. 300;
    $dbh->commit;
}

$t->write_conf('backup.dir' => $bdir, 'backup.interval' => 1,
    'backup.keep' => $keep);
$t->start;

my %tok;
for my $c (1 .. $writers) {
    $tok{$c} = $t->register_v2(sprintf('1390001%04d', $c), "secret$c")
        ->{access_token};
}

# The backups the log says were written, in order: their names.
sub written {
    return map { m{ backup: \Q$bdir\E/(\S+) written } ? ($1) : () }
        $t->log_lines('featcgi-error.log');
}

# The unix second a backup's name gives.
sub name_time {
    my ($name) = @_;
    my @f = $name =~ $name_re or return undef;
    return timegm($f[5], $f[4], $f[3], $f[2], $f[1] - 1, $f[0]);
}

# Files in a directory but . and ..
sub files {
    my ($d) = @_;
    opendir(my $dh, $d) or return ();
    my @f = sort grep { !/^\.\.?$/ } readdir($dh);
    closedir($dh);
    return @f;
}

# ---- backups under 8 writers -------------------------------------------------

my $load_start = time;
my (@during, $hz, $status_out);
my $res = load(t => $t, clients => $writers, seconds => 120, stop => 1,
    request => sub {
        my ($c, $i) = @_;
        return ('POST', '/api/feedback', { feedback_content => "c$c-$i" },
            { -token => $tok{$c} }, time);
    },
    during => sub {
        # at least 5 backups begun a second or more into the load
        $t->wait_for(sub {
            (grep { (name_time($_) // 0) >= $load_start + 1 } written()) >= 5
        }, 60);
        @during = written();
        (undef, undef, $hz) = $t->get('/healthz');
        (undef, $status_out) = $t->featctl('status');
    });

my @seen = grep { (name_time($_) // 0) >= $load_start + 1 } @during;
cmp_ok(scalar(@seen), '>=', 5, scalar(@seen) . ' backups written during '
    . 'the load');
cmp_ok($res->{ok}, '>', 100, "$res->{ok} writes acknowledged meanwhile");
is($res->{failed}, 0, '... none failed') or diag(explain($res->{status}));

ok(ref($hz) && $hz->{backup}{enabled}, '/healthz: backups on');
is($hz->{backup}{last_result}, 'ok', '... the last one ok');
like($hz->{backup}{last_ok_file} // '', $name_re, '... named')
    and ok((grep { $_ eq $hz->{backup}{last_ok_file} } @during),
        '... one the log says was written');
cmp_ok($hz->{backup}{last_ok_age}, '<=', 30, '... lately');
is($hz->{backup}{interval}, 1, '... every second');
is($hz->{status}, 'ok', '... and the pool is well');
like($status_out // '', qr/^backup:\s+featcgi-\d{8}T\d{6}Z\.db at .*, ok/m,
    'featctl status: the last backup, ok');

# ---- a reload during a copy: its temporary file goes -------------------------

# The copy of 30 MB lasts a few slices of every second: seen under way, a
# reload retires the jobs process, which removes its file.  Tried until a
# reload landed during a copy (the copy may end first; it takes one to
# three tries here, the bound is for a fast machine).
my ($cut, $cut_pid, $tries) = (0, 0, 0);
for my $try (1 .. 25) {
    $tries = $try;
    # jobs_pid tells the jobs process from retiring workers by its log
    # lines or its sockets: right after a reload neither may tell yet
    my $jobs = $t->wait_for(sub { $t->jobs_pid }, 30) or last;
    my $tmp = $t->wait_for(sub {
        (grep { /\.tmp-$jobs$/ } files($bdir))[0] }, 10) or next;
    my $nlog = () = $t->log_lines('featcgi-error.log');
    $t->signal('HUP');
    $t->wait_for(sub {
        my $j = $t->jobs_pid;
        defined $j && $j != $jobs && !kill(0, $jobs);
    }, 30);
    my @l = $t->log_lines('featcgi-error.log');
    if (grep { /$jobs#jobs: backup: stopped during a copy, its temporary/ }
        @l[$nlog .. $#l])
    {
        ($cut, $cut_pid) = (1, $jobs);
        last;
    }
}
ok($cut, 'a reload during a copy: the old jobs process says it stopped it')
    or diag("$tries tries");
note("a reload landed during a copy at try $tries");
is_deeply([ grep { /\.tmp-$cut_pid(-|$)/ } files($bdir) ], [],
    '... and its temporary file is gone') if $cut;

# ---- a reload with backups off: the directory as the last one left it --------

my $old_jobs = $t->wait_for(sub { $t->jobs_pid }, 30);
ok($old_jobs, 'the jobs process found after the reloads');
$t->write_conf('backup.dir' => undef);
$t->signal('HUP');
ok($t->wait_for(sub {
    my $j = $t->jobs_pid;
    defined $j && $j != $old_jobs && !kill(0, $old_jobs);
}, 30), 'reloaded: a new jobs process, the old one gone');

my @all = written();
my @files = files($bdir);
my @backups = grep { /$name_re/ } @files;
is(scalar(@backups), $keep, "backup.keep: $keep backups left");
is_deeply(\@backups, [ (sort @all)[-$keep .. -1] ],
    '... the newest ones written') or diag(explain(\@files, \@all));
is_deeply([ grep { !/$name_re/ } @files ], ['notes.txt'],
    '... no temporary file, and the other file untouched');
is(FeatTest::_slurp("$bdir/notes.txt"), "mine\n", '... unchanged');
my $removed = grep { /backup: removed featcgi-.* \(backup\.keep $keep\)/ }
    $t->log_lines('featcgi-error.log');
cmp_ok($removed, '>=', 2, "the older ones removed ($removed, logged)");

for my $b (@backups) {
    my $d = DBI->connect("dbi:SQLite:dbname=$bdir/$b", '', '',
        { RaiseError => 1, PrintError => 0, sqlite_open_flags => 1 });
    is($d->selectrow_array('PRAGMA integrity_check'), 'ok',
        "$b passes integrity_check");
    is($d->selectrow_array('PRAGMA journal_mode'), 'delete',
        '... one file, not in WAL mode');
    is($d->selectrow_array('SELECT count(*) FROM t_filler'), 300,
        '... with every filler row');
    $d->disconnect;
    is((stat("$bdir/$b"))[2] & 0777, 0600, '... mode 0600');
}

# A write was acknowledged before the newest backup began when its client
# had sent its next request by then (each client waits for its answer):
# ack <= next request's tag < the second of the backup's name <= the
# snapshot.  Its id comes from the answer.
my $newest = $backups[-1];
my $began = name_time($newest);
my %by;
push @{ $by{ $_->{client} } }, $_ for @{ $res->{answers} };
my %acked;              # id => content
for my $c (keys %by) {
    my @a = sort { $a->{i} <=> $b->{i} } @{ $by{$c} };
    for my $k (0 .. $#a - 1) {
        next if $a[$k + 1]{tag} >= $began || $a[$k]{status} != 200
            || ref($a[$k]{data}) ne 'HASH' || $a[$k]{data}{code} != 0;
        $acked{ $a[$k]{data}{data}{id} } = "c$c-$a[$k]{i}";
    }
}
cmp_ok(scalar(keys %acked), '>', 20, scalar(keys %acked)
    . " writes acknowledged before $newest began");

sub missing {
    my ($dbh) = @_;
    my %stored = map { $_->[0] => $_->[1] }
        @{ $dbh->selectall_arrayref('SELECT id, content FROM feedback') };
    return grep { ($stored{$_} // '') ne $acked{$_} } sort keys %acked;
}

{
    my $d = DBI->connect("dbi:SQLite:dbname=$bdir/$newest", '', '',
        { RaiseError => 1, PrintError => 0, sqlite_open_flags => 1 });
    my @m = missing($d);
    is(scalar(@m), 0, '... every one is in the backup, with its id')
        or diag("missing ids: @m[0 .. ($#m < 9 ? $#m : 9)]");
    $d->disconnect;
}

# ---- the newest one restored under the running pool --------------------------

my $live_before = $t->db_value('SELECT count(*) FROM feedback');
my ($rc, $out, $err) = $t->featctl('db', 'restore', "$bdir/$newest");
is($rc, 0, "featctl db restore $newest: done") or diag($err);
{
    my @m = missing($t->dbh);
    is(scalar(@m), 0, '... the live database holds every write acknowledged'
        . ' before the backup began') or diag("missing ids: @m[0 .. 9]");
}
cmp_ok($t->db_value('SELECT count(*) FROM feedback'), '<=', $live_before,
    '... and nothing written after the backup that it did not hold');
is($t->db_value('PRAGMA integrity_check'), 'ok', '... sound');

# The pool serves them: each writer's newest acknowledged write is on the
# first page of its list (newest first; a write or two committed before
# the snapshot may come before it), and the list's total is what is stored.
my %newest_of;
for my $id (keys %acked) {
    my ($c) = $acked{$id} =~ /^c(\d+)-/;
    $newest_of{$c} = $id if $id > ($newest_of{$c} // 0);
}
my $served = 0;
for my $c (sort keys %newest_of) {
    my (undef, undef, $j) = $t->get('/api/feedback?page_no=1&page_size=10',
        { -token => $tok{$c} });
    next if !ref($j) || $j->{code} != 0;
    my $stored = $t->db_value('SELECT count(*) FROM feedback WHERE user_id'
        . ' = (SELECT user_id FROM feedback WHERE id = ?)', $newest_of{$c});
    $served++ if $j->{data}{total} == $stored
        && grep { $_->{id} == $newest_of{$c} } @{ $j->{data}{data} };
}
is($served, scalar(keys %newest_of), 'the API serves the restored rows');

# ---- a directory that cannot be written --------------------------------------

# As root, a mode does not stop a write: an immutable directory does.
my $ro = "$dir/ro";
mkdir($ro, 0700) or die;
my $immutable;
if ($> == 0) {
    $immutable = system("chattr +i '$ro' 2>/dev/null") == 0;
} else {
    $immutable = chmod(0500, $ro) == 1;
}
END { system("chattr -i '$ro' 2>/dev/null") if $immutable && $> == 0 }

SKIP: {
    skip('neither chattr +i nor a mode makes a directory read-only here', 11)
        if !$immutable;

    my ($trc, $tout, $terr) = run_featcgi_t('backup.dir' => $ro);
    is($trc, 0, 'featcgi -t with an unwritable backup.dir: exit 0');
    like($terr, qr/warning: "backup\.dir" "\Q$ro\E" is not writable/,
        '... with a warning');
    ($trc, undef, $terr) = $t->featctl('check');
    like($terr, qr/warning: "backup\.dir" "\Q$ro\E" is not writable/,
        'featctl check warns too');

    my $nlog = () = $t->log_lines('featcgi-error.log');
    $t->signal('HUP');
    my @fail;
    $t->wait_for(sub {
        my @l = $t->log_lines('featcgi-error.log');
        @fail = grep { /\[error\].*backup to "\Q$ro\E" failed: / }
            @l[$nlog .. $#l];
        @fail >= 2;
    }, 30);
    cmp_ok(scalar(@fail), '>=', 2, 'each interval a failure is logged')
        or diag(join("\n", $t->log_lines('featcgi-error.log')));
    like($fail[0] // '',
        qr/failed: cannot create \Q$ro\E\/featcgi-\S+\.tmp-\d+:/,
        '... with the reason');
    is_deeply([ files($ro) ], [], '... and no file left in the directory');

    my ($st, undef, $j) = $t->post('/api/feedback',
        { feedback_content => 'while backups fail' }, { -token => $tok{1} });
    is($st, 200, 'the pool keeps serving: a write, 200');
    is($t->db_value('SELECT count(*) FROM feedback WHERE content = ?',
        'while backups fail'), 1, '... stored');

    ($st, undef, $j) = $t->get('/healthz');
    is($st, 200, '/healthz: still 200');
    is($j->{backup}{last_result}, 'failed', '... the last backup failed')
        and like($j->{backup}{last_error}, qr/cannot create/,
            '... saying why');
    (undef, $out) = $t->featctl('status');
    like($out, qr/^backup:\s+FAILED at .*cannot create/m,
        'featctl status: FAILED, and why');
}

# ---- a full file system ------------------------------------------------------

# A tmpfs of 4 MB takes the temporary file's first pages and then no more:
# the copy fails half-way, and what it wrote goes.
my $small = "$dir/small";
mkdir($small, 0700) or die;
my $mounted = $> == 0
    && system("mount -t tmpfs -o size=4m,mode=0700 tmpfs '$small'"
              . " 2>/dev/null") == 0;
END { system("umount '$small' 2>/dev/null") if $mounted }

SKIP: {
    skip('no tmpfs to fill here (it needs root and mount)', 5) if !$mounted;

    my $nlog = () = $t->log_lines('featcgi-error.log');
    $t->write_conf('backup.dir' => $small, 'backup.interval' => 1);
    $t->signal('HUP');
    my @fail;
    $t->wait_for(sub {
        my @l = $t->log_lines('featcgi-error.log');
        @fail = grep { /\[error\].*backup to "\Q$small\E" failed: / }
            @l[$nlog .. $#l];
        @fail >= 2;
    }, 30);
    cmp_ok(scalar(@fail), '>=', 2, 'a full file system: each interval a '
        . 'failure is logged') or diag(join("\n", @fail));
    like($fail[0] // '', qr/failed: database or disk is full/,
        '... saying so');
    is_deeply([ files($small) ], [], '... and the half-written copy is gone');
    my ($st, undef, $j) = $t->get('/healthz');
    like($j->{backup}{last_error} // '', qr/full/, '/healthz says why');
    ($st) = $t->post('/api/feedback', { feedback_content => 'disk full' },
        { -token => $tok{2} });
    is($st, 200, 'the pool keeps serving');
}

# ---- a missing directory, and bounds -----------------------------------------

{
    my ($trc, undef, $terr) = run_featcgi_t('backup.dir' => "$dir/missing");
    is($trc, 0, 'featcgi -t with a missing backup.dir: exit 0');
    like($terr, qr/warning: "backup\.dir" "\Q$dir\E\/missing": No such file/,
        '... with a warning');

    ($trc, undef, $terr) = run_featcgi_t('backup.dir' => $bdir,
        'backup.keep' => 0);
    is($trc, 1, 'featcgi -t: backup.keep 0 refused');
    like($terr, qr/"backup\.keep" must be 1\.\./, '... saying so');
    ($trc, undef, $terr) = $t->featctl('check');
    is($trc, 1, 'featctl check: refused too');
    like($terr, qr/error: "backup\.keep" must be/, '... saying so');

    ($trc, undef, $terr) = run_featcgi_t('backup.dir' => $bdir,
        'backup.keep' => 2, 'backup.interval' => 0);
    is($trc, 1, 'featcgi -t: backup.interval 0 refused');
    like($terr, qr/"backup\.interval" must be 1\.\./, '... saying so');

    my $nlog = () = $t->log_lines('featcgi-error.log');
    $t->write_conf('backup.dir' => "$dir/missing", 'backup.interval' => 1,
        'backup.keep' => 2);
    $t->signal('HUP');
    my $line = $t->wait_for(sub {
        my @l = $t->log_lines('featcgi-error.log');
        (grep { /backup to "\Q$dir\E\/missing" failed: / } @l[$nlog .. $#l])[0];
    }, 30);
    like($line // '', qr/No such file or directory; next try in 1 s/,
        'a missing backup.dir: logged with the reason, tried again later');
}

# featcgi -t on the test's config with these keys: ($exit, $stdout, $stderr).
sub run_featcgi_t {
    my (%kv) = @_;
    $t->write_conf(%kv);
    my $cmd = "'$t->{build}/featcgi' -t -c '" . $t->conf_file
        . "' >'$dir/t.out' 2>'$dir/t.err'";
    my $rc = system($cmd) >> 8;
    return ($rc, FeatTest::_slurp("$dir/t.out"),
        FeatTest::_slurp("$dir/t.err"));
}

# before the harness removes the test's directory
system("chattr -i '$ro' 2>/dev/null") if $immutable && $> == 0;
$immutable = 0;
$t->write_conf('backup.dir' => undef);
$t->signal('HUP');
$mounted = 0 if $mounted && $t->wait_for(sub {
    system("umount '$small' 2>/dev/null") == 0 }, 30);
$t->stop;
done_testing;

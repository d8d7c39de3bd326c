#!/usr/bin/perl

# t/20-featctl.t: every featctl command against a running featcgi, each
# checked by its effect: on the database, and through the API where the
# command changes what the API answers (an added app serves X-App-Id, a
# disabled user can neither log in nor use its tokens, a role shows in
# personal/info, a backup is a SQLite file holding the users).  Bad input
# exits 1 with "featctl: <reason>", a bad command line 2, and --json
# output always parses.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use JSON::PP;
use Test::More;

my $t = FeatTest->new(app_header => 'on', 'code.ip_hourly_limit' => 1000);
my $J = JSON::PP->new->utf8;
my $dir = $t->dir;

# featctl with --json: (exit, decoded output or undef, stderr).
sub ctl_json {
    my ($rc, $out, $err) = $t->featctl('--json', @_);
    my $data = eval { $J->decode($out) };

    return ($rc, $data, $err);
}

# A failing command: exit status $want and one "featctl: ..." line.
sub fails {
    my ($want, $re, @args) = @_;
    my ($rc, $out, $err) = $t->featctl(@args);

    is($rc, $want, "featctl @args: exit $want");
    like($err, qr/^featctl: .*(?:$re)/m, "featctl @args: says why")
        if defined $re;
    is($out, '', "featctl @args: nothing on stdout") if $want == 1;
}

# Registers account in app (X-App-Id when given): (access, refresh).
sub register {
    my ($account, $app) = @_;
    my %h = defined $app ? ('X-App-Id' => $app) : ();
    my ($st, $h, $j);

    ($st, $h, $j) = $t->post('/api/auth/send_code', { account => $account },
        \%h);
    is($j->{code}, 0, "send_code $account") or diag explain $j;
    my $code = $t->code_for($account, defined $app ? (app => $app) : ());
    ($st, $h, $j) = $t->post('/api/auth/register',
        { account => $account, code => $code, password => 'secret-pw-1' },
        \%h);
    is($j->{code}, 0, "register $account") or diag explain $j;
    return ($j->{data}{access_token}, $j->{data}{refresh_token});
}

sub login {
    my ($account) = @_;
    my ($st, $h, $j) = $t->post('/api/auth/access_token',
        { account => $account, password => 'secret-pw-1' });

    return $j;
}

sub user_id {
    my ($account, $app) = @_;

    return $t->db_value('SELECT id FROM users WHERE username = ? AND app_id = ?',
        $account, $app // '');
}


# ---- command line ----------------------------------------------------------

{
    my ($rc, $out, $err) = $t->featctl();
    is($rc, 2, 'no command: exit 2');
    like($err, qr/usage: featctl/, 'no command: usage');

    ($rc, $out, $err) = $t->featctl('help');
    is($rc, 0, 'help: exit 0');
    like($out, qr/^  user disable ID \[--app ID\]$/m,
        'help lists the commands');

    fails(1, 'unknown command', 'nosuch');
    fails(1, 'unknown command', 'user', 'frob');
    fails(2, 'needs a command', 'user');
    fails(2, 'missing argument', 'user', 'show');
    fails(2, 'unexpected argument', 'user', 'show', '1', '2');
    fails(2, 'unknown option', 'app', 'list', '--bogus');
    fails(2, 'needs a value', 'user', 'list', '--limit');
    fails(1, 'No such file', '-c', "$dir/nonexistent.conf",
        'app', 'list');
}


# ---- db migrate -------------------------------------------------------------

{
    my $version = $t->db_value('SELECT max(version) FROM schema_version');
    my ($rc, $out, $err) = $t->featctl('db', 'migrate');

    is($rc, 0, 'db migrate: exit 0');
    like($out, qr/^applied 0 migrations, schema version \Q$version\E$/m,
        'db migrate: nothing left to apply');

    my $j;
    ($rc, $j) = ctl_json('db', 'migrate');
    is_deeply($j, { applied => 0, version => $version }, 'db migrate --json');

    # a fresh database: every migration applied, then the others work
    my $fresh = "$dir/fresh.conf";
    open(my $fh, '>', $fresh) or die "$fresh: $!";
    print {$fh} "secret = ", 'x' x 40, "\ndatabase = $dir/fresh.db\n";
    close($fh);
    ($rc, $out, $err) = $t->featctl('-c', $fresh, 'app', 'list');
    is($rc, 1, 'unmigrated database: exit 1');
    like($err, qr/featctl: .*db migrate/, 'unmigrated database: says what to do');
    ($rc, $j) = ctl_json('-c', $fresh, 'db', 'migrate');
    is($rc, 0, 'fresh db migrate: exit 0');
    is($j->{version}, $version, 'fresh db migrate: same version');
    cmp_ok($j->{applied}, '>=', 2, 'fresh db migrate: applied them all');
}


# ---- apps -------------------------------------------------------------------

{
    my ($st, $h, $j) = $t->post('/api/auth/send_code',
        { account => '13900000001' }, { 'X-App-Id' => 'shop3' });
    is($j->{code}, 10003, 'unknown app before app add');

    my ($rc, $out, $err) = $t->featctl('app', 'add', 'shop3',
        '--name', 'Shop Three', '--open-login', 'on',
        '--scopes=read  write');
    is($rc, 0, 'app add: exit 0') or diag $err;
    like($out, qr/app shop3 added/, 'app add: says so');

    my $row = $t->db_row('SELECT * FROM apps WHERE id = ?', 'shop3');
    is($row->{name}, 'Shop Three', 'app add: name');
    # per-app settings since sql/0043, no longer columns of apps
    my %set = map { $_->{key} => $_->{value} } @{ $t->db_rows(
        'SELECT key, value FROM app_settings WHERE app_id = ?', 'shop3') };
    is($set{'accounts.open_login'}, 'on', 'app add: open_login');
    is($set{'accounts.default_scopes'}, 'read write',
        'app add: scopes normalized');

    ($rc, $j, $err) = ctl_json('app', 'add', 'shop4');
    is($rc, 0, 'app add --json: exit 0');
    is($j->{id}, 'shop4', 'app add --json: id');
    is($j->{name}, 'shop4', 'app add: name defaults to the id');
    ok(JSON::PP::is_bool($j->{open_login}) && !$j->{open_login},
        'app add: open_login off by default');
    is($j->{default_scopes}, 'read write', 'app add: default scopes');

    fails(1, 'exists', 'app', 'add', 'shop3');
    fails(1, 'bad app id', 'app', 'add', 'Shop');
    fails(1, 'bad app id', 'app', 'add', 'a/b');
    fails(1, 'bad app id', 'app', 'add', 'x' x 65);
    fails(1, 'bad app id', 'app', 'add', '');
    fails(1, 'open-login', 'app', 'add', 'shop5', '--open-login', 'maybe');
    fails(1, 'scope', 'app', 'add', 'shop5', '--scopes', 'read WRITE');
    fails(1, 'twice', 'app', 'add', 'shop5', '--scopes', 'read read');
    is($t->db_value("SELECT count(*) FROM apps WHERE id = 'shop5'"), 0,
        'refused app adds store nothing');

    # the new app serves requests now
    ($st, $h, $j) = $t->post('/api/auth/send_code',
        { account => '13900000001' }, { 'X-App-Id' => 'shop3' });
    is($j->{code}, 0, 'X-App-Id of the added app works');

    ($rc, $j) = ctl_json('app', 'list');
    is($rc, 0, 'app list --json: exit 0');
    my %apps = map { $_->{id} => $_ } @{ $j // [] };
    ok(exists $apps{''}, 'app list: the default app');
    is($apps{shop3}{name}, 'Shop Three', 'app list: shop3');
    ok($apps{shop3}{open_login}, 'app list: shop3 open_login');

    ($rc, $out) = $t->featctl('app', 'list');
    like($out, qr/^ID\s+NAME\s+OPEN_LOGIN\s+SCOPES\s+USERS\s+CREATED$/m,
        'app list: headings');
    like($out, qr/^shop3\s+Shop Three\s+yes\s+read write\s+0\s+\d{4}-/m,
        'app list: aligned row');
}


# ---- users ------------------------------------------------------------------

my $phone = '13800000001';
my ($access, $refresh) = register($phone);
my $id = user_id($phone);
ok($id, 'registered user has an id');
register('13800000002', 'shop3');

{
    my ($rc, $j) = ctl_json('user', 'list');
    is($rc, 0, 'user list --json: exit 0');
    my ($u) = grep { $_->{id} == $id } @{ $j // [] };
    is($u->{username}, $phone, 'user list: username');
    is($u->{app_id}, '', 'user list: app');
    ok($u->{is_active}, 'user list: active');

    ($rc, $j) = ctl_json('user', 'list', '--app', 'shop3');
    is(scalar(@{ $j // [] }), 1, 'user list --app: one app only');
    is($j->[0]{app_id}, 'shop3', 'user list --app: that app');

    ($rc, $j) = ctl_json('user', 'list', '--limit', '1');
    is(scalar(@{ $j // [] }), 1, 'user list --limit');

    fails(1, 'no app', 'user', 'list', '--app', 'nosuch');
    fails(1, 'limit', 'user', 'list', '--limit', '0');
    fails(1, 'limit', 'user', 'list', '--limit', '1x');

    my $out;
    ($rc, $out) = $t->featctl('user', 'list');
    like($out, qr/^ID\s+APP\s+USERNAME\s+ROLE\s+ACTIVE\s+NICKNAME\s+CREATED$/m,
        'user list: headings');
    like($out, qr/^$id\s+""\s+\Q$phone\E\s+0\s+yes\s/m, 'user list: row');

    ($rc, $j) = ctl_json('user', 'show', $id);
    is($rc, 0, 'user show --json: exit 0');
    is($j->{id}, $id, 'user show: id');
    is($j->{phone}, $phone, 'user show: phone');
    is($j->{area}, '86', 'user show: area');
    ok($j->{has_password}, 'user show: has a password');
    is($j->{live_sessions}, 1, 'user show: one live session');
    ok(!grep({ /^password$/ } keys %{ $j // {} }), 'user show: no hash');
    my (undef, $raw) = $t->featctl('--json', 'user', 'show', $id);
    unlike($raw, qr/\$scrypt\$/, 'user show: never the hash');

    ($rc, $out) = $t->featctl('user', 'show', $id);
    like($out, qr/^username:\s+\Q$phone\E$/m, 'user show: text form');

    fails(1, 'bad user id', 'user', 'show', 'abc');
    fails(1, 'bad user id', 'user', 'show', '0');
    fails(1, 'bad user id', 'user', 'show', '-1');
    fails(1, 'no user', 'user', 'show', '999999');
}

# role: shows in personal/info
{
    my ($rc, $out, $err) = $t->featctl('user', 'role', $id, '3');
    is($rc, 0, 'user role: exit 0');
    like($out, qr/user $id now has role 3/, 'user role: says so');
    is($t->db_value('SELECT role FROM users WHERE id = ?', $id), 3,
        'user role: stored');
    my ($st, $h, $j) = $t->get('/api/personal/info', { -token => $access });
    is($j->{data}{role}, 3, 'user role: personal/info shows it');

    my $js;
    ($rc, $js) = ctl_json('user', 'role', $id, '0');
    is_deeply($js, { id => $id, role => 0 }, 'user role --json');

    fails(1, 'bad role', 'user', 'role', $id, '10');
    fails(1, 'bad role', 'user', 'role', $id, '-1');
    fails(1, 'bad role', 'user', 'role', $id, 'x');
    fails(1, 'no user', 'user', 'role', '999999', '1');
    is($t->db_value('SELECT role FROM users WHERE id = ?', $id), 0,
        'refused role changes store nothing');
}

# disable: blocks logins, kills every session; enable lets logins back
{
    my $j = login($phone);
    is($j->{code}, 0, 'second login') or diag explain $j;
    my $access2 = $j->{data}{access_token};
    is($t->db_value('SELECT count(*) FROM sessions WHERE user_id = ? '
        . 'AND revoked_at IS NULL', $id), 2, 'two live sessions');

    my ($rc, $js, $err) = ctl_json('user', 'disable', $id);
    is($rc, 0, 'user disable: exit 0');
    is_deeply($js, { id => $id, is_active => JSON::PP::false,
        sessions_revoked => 2 }, 'user disable --json: revoked both');

    is($t->db_value('SELECT is_active FROM users WHERE id = ?', $id), 0,
        'user disable: is_active 0');
    is($t->db_value('SELECT count(*) FROM sessions WHERE user_id = ? '
        . 'AND revoked_at IS NULL', $id), 0, 'user disable: no live session');

    my ($st, $h);
    for my $tok ($access, $access2) {
        ($st, $h, $j) = $t->get('/api/personal/info', { -token => $tok });
        is($j->{code}, 10004, 'user disable: the token is dead');
    }
    ($st, $h, $j) = $t->post('/api/auth/refresh_token',
        { refresh_token => $refresh });
    is($j->{code}, 10004, 'user disable: the refresh token is dead');
    is(login($phone)->{code}, 10003, 'user disable: login refused');

    my $out;
    ($rc, $out) = $t->featctl('user', 'enable', $id);
    is($rc, 0, 'user enable: exit 0');
    like($out, qr/user $id enabled/, 'user enable: says so');
    is($t->db_value('SELECT is_active FROM users WHERE id = ?', $id), 1,
        'user enable: is_active 1');
    ($st, $h, $j) = $t->get('/api/personal/info', { -token => $access });
    is($j->{code}, 10004, 'user enable: old tokens stay dead');
    $j = login($phone);
    is($j->{code}, 0, 'user enable: login works');
    ($st, $h, $j) = $t->get('/api/personal/info',
        { -token => $j->{data}{access_token} });
    is($j->{data}{id}, $id, 'user enable: new token works');

    ($rc, $out) = $t->featctl('user', 'disable', $id);
    like($out, qr/user $id disabled, 1 session revoked/,
        'user disable: text form');
    $t->featctl('user', 'enable', $id);

    fails(1, 'no user', 'user', 'disable', '999999');
    fails(1, 'no user', 'user', 'enable', '999999');
    fails(1, 'bad user id', 'user', 'disable', '1.5');
}

# users belong to one app: a command names the app (--app, "" by default)
# and reaches nothing of another, through the accounts functions the
# handlers use
{
    my $id3 = user_id('13800000002', 'shop3');
    ok($id3, 'a user of app shop3');
    my $live3 = 'SELECT count(*) FROM sessions WHERE user_id = ? '
        . 'AND revoked_at IS NULL';
    is($t->db_value($live3, $id3), 1, 'shop3 user: one live session');

    fails(1, 'no user', 'user', 'disable', $id3);
    fails(1, 'no user', 'user', 'enable', $id3);
    fails(1, 'no user', 'user', 'show', $id3);
    fails(1, 'no user', 'user', 'role', $id3, '5');
    is($t->db_value('SELECT is_active FROM users WHERE id = ?', $id3), 1,
        'disable in the default app: the shop3 user stays active');
    is($t->db_value($live3, $id3), 1, '... and keeps its session');
    is($t->db_value('SELECT role FROM users WHERE id = ?', $id3), 0,
        '... and its role');
    fails(1, 'no app', 'user', 'disable', $id3, '--app', 'nosuch');

    my ($rc, $j) = ctl_json('user', 'show', $id3, '--app', 'shop3');
    is($rc, 0, 'user show --app shop3: exit 0');
    is($j->{app_id}, 'shop3', 'user show --app: the app');
    is($j->{live_sessions}, 1, 'user show --app: its session');

    # a session row of app shop3 naming the default app's user: the old
    # featctl revoked by user id alone and would have ended it
    $t->dbh->do('INSERT INTO sessions (app_id, user_id, access_hash,'
        . ' refresh_hash, access_expires, refresh_expires, created_at,'
        . ' rotated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', undef,
        'shop3', $id, 'a' x 64, 'b' x 64, time + 3600, time + 7200, time,
        time);
    ($rc, $j) = ctl_json('user', 'disable', $id);
    is($rc, 0, 'user disable (default app): exit 0');
    is($t->db_value('SELECT count(*) FROM sessions WHERE app_id = ? AND'
        . ' user_id = ? AND revoked_at IS NULL', 'shop3', $id), 1,
        'user disable in app "" leaves app shop3\'s row of that id alone');
    $t->featctl('user', 'enable', $id);
    $t->dbh->do('DELETE FROM sessions WHERE access_hash = ?', undef,
        'a' x 64);

    ($rc, $j) = ctl_json('user', 'disable', $id3, '--app', 'shop3');
    is($rc, 0, 'user disable --app shop3: exit 0');
    is($j->{sessions_revoked}, 1, 'user disable --app: its session revoked');
    is($t->db_value('SELECT is_active FROM users WHERE id = ?', $id3), 0,
        'user disable --app: stored');
    ($rc, $j) = ctl_json('user', 'enable', $id3, '--app', 'shop3');
    is($rc, 0, 'user enable --app shop3: exit 0');
    ($rc, $j) = ctl_json('user', 'role', $id3, '4', '--app', 'shop3');
    is_deeply($j, { id => $id3, role => 4 }, 'user role --app shop3');
    is($t->db_value('SELECT role FROM users WHERE id = ?', $id3), 4,
        'user role --app: stored');
}


# ---- db backup --------------------------------------------------------------

{
    my $file = "$dir/backup.db";
    my ($rc, $out, $err) = $t->featctl('db', 'backup', $file);
    is($rc, 0, 'db backup: exit 0') or diag $err;
    like($out, qr/written to \Q$file\E/, 'db backup: says where');
    ok(-f $file, 'db backup: the file exists');
    is((stat($file))[2] & 07777, 0600, 'db backup: mode 0600');
    ok(!-e "$file-wal", 'db backup: no WAL beside it');
    my @tmp = glob("$file.tmp-*");
    is(scalar(@tmp), 0, 'db backup: no temporary left');

    my $b = DBI->connect("dbi:SQLite:dbname=$file", '', '',
        { RaiseError => 1, PrintError => 0, sqlite_open_flags => 1 });
    is($b->selectrow_array('PRAGMA integrity_check'), 'ok',
        'db backup: integrity_check ok');
    is($b->selectrow_array('PRAGMA journal_mode'), 'delete',
        'db backup: a single-file database');
    is($b->selectrow_array('SELECT count(*) FROM users'),
        $t->db_value('SELECT count(*) FROM users'), 'db backup: every user');
    is($b->selectrow_array('SELECT username FROM users WHERE id = ?', undef,
        $id), $phone, 'db backup: the user row');
    $b->disconnect;

    my $size = -s $file;
    fails(1, 'exists', 'db', 'backup', $file);
    is(-s $file, $size, 'db backup: an existing file is kept');

    my $j;
    ($rc, $j) = ctl_json('db', 'backup', $file, '--force');
    is($rc, 0, 'db backup --force: exit 0');
    is($j->{file}, $file, 'db backup --json: file');
    cmp_ok($j->{pages}, '>', 0, 'db backup --json: pages');

    fails(1, 'cannot create', 'db', 'backup', "$dir/no/such/dir/b.db");
    fails(2, undef, 'db', 'backup');
}

$t->stop;
done_testing;

#!/usr/bin/perl
# The installed layout serves: "make install DESTDIR=" of the build dir lays
# out the binaries, the config (mode 0640, a secret of its own, kept by a
# second install), the state and log directories, the systemd unit, the
# logrotate file, the nginx snippets and the disabled site and the man
# pages; then the installed featcgi and featctl, run against the installed
# config with its paths moved into the DESTDIR, serve a v2 registration and
# login through nginx running the installed site over TLS, with nothing
# from the source tree.  Along the way: the sd_notify states of the master
# (READY, RELOADING/READY on HUP, STOPPING on TERM) on a NOTIFY_SOCKET this
# test holds, the socket's group (listen_group), the installed logrotate
# file rotating the logs through SIGUSR1, and the unit's exposure by
# systemd-analyze security (2.0 or lower).

use strict;
use warnings;

use lib 't/lib';
use DBI;
use File::Find qw(find);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Socket qw(SOCK_DGRAM);
use Test::More;
use Time::HiRes qw(sleep time);

use FeatTest;

my $build = FeatTest::builddir();
-f "$build/Makefile" or BAIL_OUT("no Makefile in $build (set FEAT_BUILDDIR)");
my $nginx = FeatTest::_nginx_binary()
    or BAIL_OUT('no nginx (set FEAT_NGINX)');
system('openssl version >/dev/null 2>&1') == 0
    or BAIL_OUT('no openssl command');
system('curl --version >/dev/null 2>&1') == 0 or BAIL_OUT('no curl');

my $JSON = JSON::PP->new->utf8->canonical;
my $slurp = \&FeatTest::_slurp;

# A unix socket path must fit in sun_path: the DESTDIR stays short.
my $tmp = $ENV{TMPDIR} // '/tmp';
$tmp = '/tmp' if length($tmp) > 40 || !-d $tmp || !-w $tmp;
my $dest = tempdir('featcgi-inst-XXXXXX', DIR => $tmp, CLEANUP => 1);
chmod(0755, $dest);

sub install {
    my $log = "$dest/install.log";
    # Not the jobserver of the make check that runs this test.
    local $ENV{MAKEFLAGS};
    local $ENV{MFLAGS};
    local $ENV{MAKELEVEL};
    system("make -C '$build' install DESTDIR='$dest' > '$log' 2>&1");
    my $rc = $? >> 8;
    diag($slurp->($log)) if $rc != 0;
    return $rc;
}

# ---- the layout ---------------------------------------------------------------

is(install(), 0, 'make install DESTDIR= succeeds');

# The prefix is the build's own (/usr/local, or distcheck's deep one).
my $featcgi;
find(sub { $featcgi //= $File::Find::name
    if $_ eq 'featcgi' && -f && -x && $File::Find::dir =~ m{/sbin$} }, $dest);
ok(defined $featcgi, 'featcgi is installed in sbin') or BAIL_OUT('no sbin');
(my $prefix = $featcgi) =~ s{^\Q$dest\E(.*)/sbin/featcgi$}{$1};
my $sbin = "$dest$prefix/sbin";
ok(-x "$sbin/featctl", 'featctl is installed in sbin');

# The build's directories, as the binaries know them (without DESTDIR).
my $help = `'$sbin/featcgi' -h`;
my ($conf_path) = $help =~ /config file \(default (\S+)\)/;
ok(defined $conf_path && $conf_path =~ m{/featcgi/featcgi\.conf$},
    'featcgi defaults to <sysconfdir>/featcgi/featcgi.conf')
    or diag($help);
(my $etc = $conf_path // '') =~ s{/featcgi/featcgi\.conf$}{};
like(`'$sbin/featctl' -h 2>&1`, qr/\Q$conf_path\E/,
    'featctl defaults to the same file');

my $conf = "$dest$conf_path";
ok(-f $conf, 'the config is installed') or BAIL_OUT('no config');
is((stat($conf))[2] & 07777, 0640, '... mode 0640');
my $text = $slurp->($conf);
my ($secret) = $text =~ /^secret = ([0-9a-f]+)$/m;
like($secret // '', qr/^[0-9a-f]{64}$/, '... with a generated secret');
like($text, qr{^listen = /\S+/featcgi/featcgi\.sock$}m,
    '... listening on a unix socket in a featcgi run dir');
like($text, qr/^listen_group = www-data$/m, '... of the group www-data');
like($text, qr{^hash_listen = \S+/featcgi/featcgi-hash\.sock$}m,
    '... and the hashing pool on a second socket beside it');
my ($statedir) = $text =~ m{^database = (\S+)/featcgi\.db$}m;
my ($logdir) = $text =~ m{^error_log = (\S+)/error\.log$}m;
my ($rundir) = $text =~ m{^listen = (\S+)/featcgi\.sock$}m;
like($statedir // '', qr{/lib/featcgi$}, '... database in <localstatedir>/lib/featcgi');
like($logdir // '', qr{/log/featcgi$}, '... logs in <localstatedir>/log/featcgi');
like($text, qr{^media_dir = \Q$statedir\E/media$}m, '... media beside it');
ok(-d "$dest$statedir/media", 'the state and media directories exist');
ok(-d "$dest$logdir", 'the log directory exists');

(my $datadir = $prefix) .= '/share';
my $pristine = $slurp->("$dest$datadir/featcgi/featcgi.conf");
like($pristine, qr/^secret =$/m,
    'share/featcgi/featcgi.conf: the same config without a secret');

for my $f (qw(fastcgi-feat.conf featcgi-locations.conf featcgi-maps.conf
    featcgi-console.conf))
{
    is($slurp->("$dest$etc/nginx/snippets/$f"),
        $slurp->(FeatTest::srcdir() . "/nginx/$f"),
        "nginx/snippets/$f is the shipped one");
}
# the console's pages, the tree of console/ as it is
my @pages;
find({ no_chdir => 1, wanted => sub {
    push @pages, $File::Find::name =~ s{^\Q${\ FeatTest::srcdir()}\E/}{}r
        if -f $_;
} }, FeatTest::srcdir() . '/console') if -d FeatTest::srcdir() . '/console';
for my $f (sort @pages) {
    is($slurp->("$dest$datadir/featcgi/$f"),
        $slurp->(FeatTest::srcdir() . "/$f"), "share/featcgi/$f installed");
}
my $site = "$dest$etc/nginx/sites-available/featcgi";
ok(-f $site, 'the example site is in sites-available');
ok(!-e "$dest$etc/nginx/sites-enabled/featcgi", '... and not enabled');
for my $m (qw(man8/featcgi.8 man8/featctl.8 man5/featcgi.conf.5
    man7/featcgi-api.7))
{
    ok(-s "$dest$datadir/man/$m", "man page $m");
}
my ($unit) = glob("$dest$prefix/lib/systemd/system/featcgi.service");
ok(defined $unit && -f $unit, 'featcgi.service is installed');
my $utext = $slurp->($unit // '');
like($utext, qr/^Type=notify$/m, '... Type=notify');
like($utext, qr{^ExecStart=\Q$prefix\E/sbin/featcgi -c \Q$conf_path\E$}m,
    '... runs the installed featcgi on the installed config');
like($utext, qr{^ExecReload=/bin/kill -HUP \$MAINPID$}m, '... HUP reloads');
like($utext, qr/^User=featcgi$/m, '... as the user featcgi');
like($utext, qr/^RuntimeDirectory=featcgi$/m, '... with /run/featcgi');
like($utext, qr{^ReadWritePaths=\Q$statedir\E \Q$logdir\E$}m,
    '... writing only the state and log directories');
my $logrotate = "$dest$etc/logrotate.d/featcgi";
like($slurp->($logrotate), qr/kill -USR1/, 'logrotate.d/featcgi uses USR1');

SKIP: {
    my $sa = `systemd-analyze --version 2>/dev/null`;
    skip('no systemd-analyze', 1) if $? != 0;
    my $out = `systemd-analyze security --offline=yes '$unit' 2>&1`;
    my ($level) = $out =~ /Overall exposure level for \S+: ([\d.]+)/;
    ok(defined $level && $level <= 2.0,
        "systemd-analyze security: exposure " . ($level // '?')
        . ' (2.0 or lower)') or diag($out);
}

# A second install keeps the config and its secret.
is(install(), 0, 'make install again');
like($slurp->("$dest/install.log"), qr/keeping \Q$conf\E/,
    '... says it keeps the config');
is(($slurp->($conf) =~ /^secret = (\S+)$/m)[0], $secret, '... same secret');

# ---- run what is installed ------------------------------------------------------

# The installed config with its absolute paths moved into DESTDIR (as if
# DESTDIR were /), and what the test needs: codes into a file, fast hashes.
my @grp = getgrnam('www-data');
my $group = ($> == 0 && @grp) ? 'www-data' : scalar(getgrgid($)));
$text =~ s{^(\w[\w.]* = )(/\S*)$}{$1$dest$2}mg;
$text =~ s{^listen_group = .*$}{listen_group = $group}m;
$text .= "sms.provider = log\nsms.log_path = $dest$statedir/sms.log\n"
    . "scrypt.ln = 4\n";
# A deep prefix (distcheck's) would not fit in sun_path.
my $installed_rundir = $rundir;
if (length("$dest$rundir/featcgi.sock") > 100) {
    $text =~ s{^(listen|hash_listen|pid_file) = \Q$dest$rundir\E/}
        {$1 = $dest/run/}mg;
    $rundir = '/run';
}
open(my $fh, '>', $conf) or die;
print $fh $text;
close($fh);

make_path("$dest$rundir");
ok(-d "$dest$rundir", 'the run dir (systemd makes it: RuntimeDirectory)');

my $san = "$dest/san";
mkdir($san);
$ENV{ASAN_OPTIONS} = "log_path=$san/asan";
$ENV{UBSAN_OPTIONS} = "log_path=$san/ubsan";
$ENV{LSAN_OPTIONS} = "log_path=$san/lsan";
delete $ENV{FEATCGI_CONF};

is(system("'$sbin/featctl' -c '$conf' db migrate > '$dest/migrate.out' 2>&1"),
    0, 'installed featctl: db migrate') or diag($slurp->("$dest/migrate.out"));
ok(-f "$dest$statedir/featcgi.db", '... made the database in the state dir');

# The service manager's side of sd_notify.
my $notify_path = "$dest/notify";
my $notify = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $notify_path)
    or die "notify socket: $!";

sub notified {
    my ($timeout) = @_;
    my ($rin, $msg) = ('', undef);
    vec($rin, fileno($notify), 1) = 1;
    return undef if !select(my $rout = $rin, undef, undef, $timeout);
    $notify->recv($msg, 4096);
    return $msg;
}

# Whatever way the test ends, nothing it started runs on.
my ($pid, $npid);
END {
    local $?;       # the test's own exit status
    for my $p (grep { defined && $_ > 0 } $npid, $pid) {
        kill('KILL', $p) if waitpid($p, WNOHANG) == 0;
    }
}

$pid = fork();
die "fork: $!" if !defined $pid;
if ($pid == 0) {
    $ENV{NOTIFY_SOCKET} = $notify_path;
    open(STDIN, '<', '/dev/null');
    open(STDOUT, '>', "$dest/featcgi.stdout");
    open(STDERR, '>&', \*STDOUT);
    { no warnings q(exec); exec("$sbin/featcgi", '-c', $conf); }
    POSIX::_exit(127);
}

is(notified(30), 'READY=1', 'the master notifies READY=1');
my $sock = "$dest$rundir/featcgi.sock";
ok(-S $sock, '... its socket is there');
is((stat($sock))[5], scalar(getgrnam($group)),
    "... of the group $group (listen_group)");
is((stat($sock))[2] & 0777, 0660, '... mode 0660');
my $hash_sock = "$dest$rundir/featcgi-hash.sock";
ok(-S $hash_sock, 'the hashing pool\'s socket is there');
is((stat($hash_sock))[5], scalar(getgrnam($group)), "... of the group $group");
ok(-s "$dest$rundir/featcgi.pid", '... and the pid file');

# nginx: the installed site, with only its machine's paths and ports moved.
my $ndir = "$dest/nginx";
mkdir($ndir);
mkdir("$ndir/$_") for qw(log tmp);
open(my $stderr, '>&', \*STDERR) or die;
open(STDERR, '>', '/dev/null') or die;
for my $host (qw(api.example.com shop.example.com)) {
    system('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
        '-days', '1', '-subj', "/CN=$host", '-keyout', "$ndir/$host.key",
        '-out', "$ndir/$host.pem") == 0 or BAIL_OUT('openssl req failed');
}
open(STDERR, '>&', $stderr) or die;

my %port = (http => FeatTest::_free_port({}));
$port{https} = FeatTest::_free_port({ $port{http} => 1 });
my $s = $slurp->($site);
$s =~ s{/etc/ssl/(?:certs|private)/([\w.]+)\.(pem|key)}{$ndir/$1.$2}g;
$s =~ s{/var/log/nginx/}{$ndir/log/}g;
$s =~ s{/var/lib/featcgi/media/}{$dest$statedir/media/}g;
$s =~ s{/usr/share/featcgi/console/}{$dest$datadir/featcgi/console/}g;
$s =~ s{unix:/run/featcgi/featcgi\.sock}{unix:$sock}g;
$s =~ s{unix:/run/featcgi/featcgi-hash\.sock}{unix:$hash_sock}g;
$s =~ s{include snippets/}{include $dest$etc/nginx/snippets/}g;
$s =~ s{listen \[::\]:\d+[^;]*;\n}{}g;
$s =~ s{listen 80\b}{listen 127.0.0.1:$port{http}}g;
$s =~ s{listen 443\b}{listen 127.0.0.1:$port{https}}g;
$s =~ s{ http2;}{;}g;
FeatTest::nginx_conf($ndir, 'nginx-error.log', $s);
$npid = FeatTest::nginx_spawn($nginx, $ndir, 'nginx.stdout');

# One HTTPS request to api.example.com: (status, decoded JSON answer).
sub api {
    my ($method, $path, $body, $token) = @_;
    my @cmd = ('curl', '-s', '-k', '--max-time', '10', '-o', "$dest/body",
        '-w', '%{http_code}', '-X', $method, '--resolve',
        "api.example.com:$port{https}:127.0.0.1");
    push(@cmd, '-H', 'Content-Type: application/json', '--data-binary',
        $JSON->encode($body)) if defined $body;
    push(@cmd, '-H', "Authorization: Bearer $token") if defined $token;
    push(@cmd, "https://api.example.com:$port{https}$path");
    open(my $p, '-|', @cmd) or die "curl: $!";
    my $status = <$p> // '';
    close($p);
    my $answer = eval { $JSON->decode($slurp->("$dest/body")) };
    return ($status, $answer);
}

my ($st, $j);
for (1 .. 100) {
    ($st, $j) = api('POST', '/api/auth/send_code',
        { account => '13800000001' });
    last if $st ne '000';
    sleep(0.05);
}
is($st, '200', 'send_code through the installed site: 200');
is($j->{code}, 0, '... code 0');
my ($code) = $slurp->("$dest$statedir/sms.log") =~ /\bcode=(\d+)/;
like($code // '', qr/^\d{6}$/, '... the code went to the log provider');
($st, $j) = api('POST', '/api/auth/register',
    { account => '13800000001', code => $code, password => 'Secret-123' });
is($j->{code}, 0, 'register: code 0') or diag($JSON->encode($j // {}));

sub login {
    my ($status, $answer) = api('POST', '/api/auth/access_token',
        { account => '13800000001', password => 'Secret-123' });
    return ref($answer) eq 'HASH' && $answer->{code} == 0
        ? $answer->{data}{access_token} : undef;
}

my $token = login();
ok(defined $token && length($token) > 20, 'v2 login: an access token');
($st, $j) = api('GET', '/api/personal/info', undef, $token);
is($j->{code}, 0, '... that the profile accepts');
is($j->{data}{phone}, '13800000001', '... of the account');

my $dbh = DBI->connect("dbi:SQLite:dbname=$dest$statedir/featcgi.db", '', '',
    { RaiseError => 1, AutoCommit => 1 });
is($dbh->selectrow_array(q{SELECT count(*) FROM users WHERE area = '86'
    AND phone = '13800000001' AND password <> ''}), 1,
    'the user is stored in the installed database');
$dbh->disconnect;

# The console through the installed site: a manager made by the installed
# featctl signs in at /admin/api/, and /admin/ is the installed pages.
is(system("'$sbin/featctl' -c '$conf' manager add Ops --login ops"
    . " > '$dest/ctl.out' 2>&1"), 0, 'installed featctl: manager add')
    or diag($slurp->("$dest/ctl.out"));
open(my $pw, '|-', "'$sbin/featctl' -c '$conf' manager passwd 1"
    . " --password-stdin > '$dest/ctl.out' 2>&1") or die;
print $pw "ops-pass-1\n";
ok(close($pw), '... manager passwd') or diag($slurp->("$dest/ctl.out"));
($st, $j) = api('POST', '/admin/api/session',
    { login => 'ops', password => 'ops-pass-1' });
is($st, '200', 'console sign-in through the installed site: 200');
is($j->{data}{manager}{login}, 'ops', '... the manager');
if (grep { $_ eq 'console/index.html' } @pages) {
    my $page = `curl -s -i -k --max-time 10 --resolve \\
        api.example.com:$port{https}:127.0.0.1 \\
        https://api.example.com:$port{https}/admin/ 2>/dev/null`;
    like($page, qr{^HTTP/\S+ 200}, '/admin/: the installed index page');
    like($page, qr{\r\ncontent-security-policy: default-src 'self';}i,
        '... with the console\'s policy');
}

# Reload: RELOADING=1, then READY=1, and the pool serves on.
kill('HUP', $pid);
like(notified(30) // '', qr/^RELOADING=1\nMONOTONIC_USEC=\d+$/,
    'HUP: RELOADING=1 with MONOTONIC_USEC');
is(notified(30), 'READY=1', '... then READY=1');
ok(defined login(), '... and a login works after the reload');

# The installed logrotate file, with its paths moved into DESTDIR: the logs
# are renamed and featcgi, told by USR1, writes into new files.
SKIP: {
    my $lr = `sh -c 'command -v logrotate || ls /usr/sbin/logrotate' 2>/dev/null`;
    chomp($lr);
    skip('no logrotate', 4) if $lr eq '';
    my $r = $slurp->($logrotate);
    $r =~ s{\Q$logdir\E/}{$dest$logdir/}g;
    $r =~ s{\Q$installed_rundir\E/featcgi\.pid}{$dest$rundir/featcgi.pid}g;
    $r =~ s{^\s*create .*\n}{}m if !getpwnam('featcgi');
    open($fh, '>', "$dest/logrotate.conf") or die;
    print $fh $r;
    close($fh);
    chmod(0644, "$dest/logrotate.conf");
    my $out = `'$lr' -f -s '$dest/logrotate.state' '$dest/logrotate.conf' 2>&1`;
    is($?, 0, 'logrotate -f with the installed file') or diag($out);
    ok(-s "$dest$logdir/access.log.1", '... the access log was rotated');
    login();
    my $now;
    for (1 .. 100) {
        $now = $slurp->("$dest$logdir/access.log");
        last if $now =~ m{/api/auth/access_token};
        sleep(0.05);
    }
    like($now, qr{POST /api/auth/access_token}, '... featcgi writes a new access.log');
    like($slurp->("$dest$logdir/access.log.1"), qr{POST /api/auth/register},
        '... the old one keeps the lines before the rotation');
}

# TERM: STOPPING=1, a clean exit, the socket and pid file removed.
kill('TERM', $pid);
is(notified(30), 'STOPPING=1', 'TERM: STOPPING=1');
my $t0 = time;
my $rc;
while (time - $t0 < 30) {
    last if waitpid($pid, WNOHANG) == $pid and defined($rc = $?);
    sleep(0.05);
}
is($rc, 0, '... featcgi exits 0');
ok(!-e $sock && !-e $hash_sock, '... the sockets are gone');
ok(!-e "$dest$rundir/featcgi.pid", '... and the pid file');

kill('TERM', $npid);
waitpid($npid, 0);

my $errors = join('', map { $slurp->($_) } glob("$dest$logdir/error.log*"));
unlike($errors, qr/\[(?:alert|emerg)\]/, 'no [alert] or [emerg] from featcgi')
    or diag($errors);
unlike($slurp->("$ndir/log/nginx-error.log"), qr/\[(?:alert|emerg)\]/,
    'no [alert] or [emerg] from nginx');
my @reports = glob("$san/*");
is(scalar(@reports), 0, 'no sanitizer report')
    or diag(join('', map { $slurp->($_) } @reports));

done_testing();

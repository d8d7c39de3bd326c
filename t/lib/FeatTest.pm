package FeatTest;

# FeatTest: the test harness of featcgi, in the manner of nginx-tests'
# Test::Nginx.  FeatTest->new(%config) makes a temp dir with a fresh
# database, writes featcgi.conf (test defaults, then the overrides), runs
# "featctl db migrate", starts the featcgi master and nginx from the
# shipped template nginx/featcgi.conf.in on free loopback ports, and offers
# HTTP, database and log helpers.  At stop (explicit, or at the end of the
# test file) it asserts that the logs hold no [alert] or [emerg] and that
# no sanitizer wrote a report, and keeps the temp dir when anything failed.
#
#     use lib 't/lib';
#     use FeatTest;
#     my $t = FeatTest->new('code.resend_interval' => 0, -body_limit => '1k');
#     my ($st, $h, $j) = $t->post('/api/auth/send_code', {account => $phone});
#     ...
#     $t->stop;
#     done_testing;
#
# Keys of new() are config keys ("undef" drops a default), except those
# starting with '-', which are the harness's own:
#     -body_limit   nginx's client_max_body_size (default max_upload or 10m)
#     -env          { NAME => value } for featcgi and featctl (FEAT_CLOCK_SHIFT)
#     -allow_log    [ qr/.../ ] error log lines a test provokes on purpose
#     -no_start     write the files and migrate, start nothing ($t->start)
#     -featcgi      the featcgi binary to run (default: the build's)
#     -console      the directory nginx serves at /admin/ (default the
#                   source's console/)
#
# Environment: FEAT_BUILDDIR (the build dir: featcgi, featctl, t/unit),
# FEAT_NGINX (the nginx binary), FEAT_KEEP=1 (always keep the temp dir).

use strict;
use warnings;

use Carp qw(croak);
use Cwd qw(abs_path);
use DBI;
use Exporter qw(import);
use Fcntl qw(:flock);
use File::Basename qw(dirname);
use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(:sys_wait_h);
use Test::More;
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(load builddir srcdir json other_code);

my $SRCDIR = abs_path(dirname(abs_path(__FILE__)) . '/../..');
my $JSON = JSON::PP->new->utf8->canonical->allow_nonref;
my @LIVE;                 # instances END must stop

sub srcdir { return $SRCDIR }

sub json { return $JSON }

# The build dir: FEAT_BUILDDIR, else _build/ or the source dir, whichever
# holds a featcgi.
sub builddir {
    my $b = $ENV{FEAT_BUILDDIR};

    if (!defined $b || $b eq '') {
        ($b) = grep { -x "$_/featcgi" } ("$SRCDIR/_build", $SRCDIR);
        $b //= "$SRCDIR/_build";
    }
    return abs_path($b) // $b;
}

# The objects of libfeat.a (paths under the build dir) as the build's
# Makefile lists them: a stale object of a moved file may still lie in
# the build dir.  t/00-layers.t and t/00-module-edges.t read them with nm.
sub libfeat_objects {
    my $mk = builddir() . '/Makefile';
    open(my $fh, '<', $mk) or die "$mk: $!";
    my $list = do { local $/; <$fh> };
    close($fh);
    $list =~ /^am_libfeat_a_OBJECTS =((?:[^\n]*\\\n)*[^\n]*)/m
        or die "no am_libfeat_a_OBJECTS in $mk";
    return map { s/\$\(OBJEXT\)/o/r } grep { /\.\$\(OBJEXT\)$/ } split ' ', $1;
}

sub _nginx_binary {
    return $ENV{FEAT_NGINX} if $ENV{FEAT_NGINX};
    for my $d (split(/:/, $ENV{PATH} // ''), '/usr/sbin', '/usr/local/sbin',
        '/usr/local/nginx/sbin')
    {
        return "$d/nginx" if -x "$d/nginx";
    }
    return undef;
}

# An nginx of a test's own in $dir, for the tests that run the shipped
# site or its lines by hand (the harness's nginx runs the template):
# writes $dir/nginx.conf, its errors to $dir/log/$error_log, its
# temporary files under $dir/tmp, and $http in the http block.
sub nginx_conf {
    my ($dir, $error_log, $http) = @_;
    my $user = getpwuid($<) // 'root';

    open(my $fh, '>', "$dir/nginx.conf") or die;
    print $fh <<"CONF";
daemon off;
user $user;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/log/$error_log;
events { worker_connections 64; }
http {
    client_body_temp_path $dir/tmp/body;
    fastcgi_temp_path $dir/tmp/fastcgi;
    proxy_temp_path $dir/tmp/proxy;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    $http
}
CONF
    close($fh);
}

# Runs $nginx in the foreground on nginx_conf's $dir/nginx.conf, its
# output in $dir/log/$stdout: the pid, for the test to TERM and reap.
sub nginx_spawn {
    my ($nginx, $dir, $stdout) = @_;
    my $pid = fork();

    die "fork: $!" if !defined $pid;
    if ($pid == 0) {
        open(STDOUT, '>', "$dir/log/$stdout");
        open(STDERR, '>&', \*STDOUT);
        { no warnings q(exec); exec($nginx, '-p', $dir, '-c',
                                    "$dir/nginx.conf"); }
        POSIX::_exit(127);      # no END block of the parent's in the child
    }
    return $pid;
}

# A missing binary or nginx is a broken build or install, never a reason
# to skip: the whole run stops and fails.
sub _cannot_run {
    my ($why) = @_;

    Test::More->builder->BAIL_OUT("FeatTest: $why");
}

# A free loopback port, also locked (flock on a file in the temp dir
# for as long as this process runs) so parallel test files never pick
# the same one between the probe and nginx's bind.
my %PORT_LOCKS;

sub _free_port {
    my ($avoid) = @_;
    my $lockdir = ($ENV{TMPDIR} && -d $ENV{TMPDIR} ? $ENV{TMPDIR} : '/tmp')
        . '/featcgi-test-ports';

    mkdir($lockdir);
    for (1 .. 100) {
        my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
            LocalPort => 0, Proto => 'tcp', ReuseAddr => 0) or next;
        my $p = $s->sockport;
        close($s);
        next if $avoid->{$p} || $PORT_LOCKS{$p};
        open(my $fh, '>', "$lockdir/$p") or return $p;
        next if !flock($fh, LOCK_EX | LOCK_NB);
        $PORT_LOCKS{$p} = $fh;
        return $p;
    }
    croak('FeatTest: no free port');
}

sub _random_hex {
    my ($n) = @_;
    my $buf = '';

    if (open(my $fh, '<:raw', '/dev/urandom')) {
        read($fh, $buf, $n);
        close($fh);
    }
    $buf .= chr(int(rand(256))) while length($buf) < $n;
    return unpack('H*', $buf);
}

sub new {
    my ($class, %args) = @_;
    my (%opt, %conf, $self, $dir);

    for my $k (grep { /^-/ } keys %args) {
        $opt{substr($k, 1)} = delete $args{$k};
    }

    my $build = builddir();
    for my $bin (qw(featcgi featctl)) {
        _cannot_run("no $bin in $build (set FEAT_BUILDDIR)")
            if !-x "$build/$bin";
    }
    my $nginx = _nginx_binary();
    _cannot_run('no nginx (set FEAT_NGINX)') if !defined $nginx;

    $self = bless {
        opt => \%opt, owner => $$, pids => {}, build => $build,
        nginx => $nginx, allow => [ @{ $opt{allow_log} // [] } ],
    }, $class;

    # A unix socket path must fit in sun_path (108 bytes).
    my $tmp = $ENV{TMPDIR} // '/tmp';
    $tmp = '/tmp' if length($tmp) > 60 || !-d $tmp || !-w $tmp;
    $dir = tempdir('featcgi-t-XXXXXX', DIR => $tmp, CLEANUP => 0);
    chmod(0755, $dir);
    mkdir("$dir/$_") for qw(log media san nginx-tmp);
    $self->{dir} = $dir;
    $self->{sock} = "$dir/featcgi.sock";
    $self->{hash_sock} = "$dir/featcgi-hash.sock";

    %conf = (
        secret            => _random_hex(32),
        database          => "$dir/featcgi.db",
        listen            => $self->{sock},
        workers           => 2,
        hash_listen       => $self->{hash_sock},
        hash_workers      => 2,
        error_log         => "$dir/log/featcgi-error.log",
        access_log        => "$dir/log/featcgi-access.log",
        log_level         => 'info',
        media_dir         => "$dir/media",
        'sms.provider'    => 'log',
        'sms.log_path'    => "$dir/sms.log",
        'mail.provider'   => 'log',
        expose_codes      => 'on',
        testing           => 'on',
        'scrypt.ln'       => 4,
        # a hash runs at nice 10: on a machine busy with other tests it may
        # take long enough for a second one to be refused as throttled;
        # the tests of throttling set their own
        'scrypt.wait'     => 2000,
        app_header        => 'off',
    );
    while (my ($k, $v) = each %args) {
        if (defined $v) {
            $conf{$k} = $v;
        } else {
            delete $conf{$k};
        }
    }
    $self->{conf} = \%conf;
    $self->{conf_file} = "$dir/featcgi.conf";
    $self->write_conf;

    push @LIVE, $self;

    my ($rc, $out, $err) = $self->featctl('db', 'migrate');
    if ($rc != 0) {
        $self->{failed_start} = 1;
        croak("FeatTest: featctl db migrate failed ($rc): $err$out");
    }

    $self->start if !$opt{no_start};
    return $self;
}

# Writes featcgi.conf from $self->{conf} (tests may change it and HUP).
sub write_conf {
    my ($self, %more) = @_;
    my $c = $self->{conf};

    while (my ($k, $v) = each %more) {
        if (defined $v) {
            $c->{$k} = $v;
        } else {
            delete $c->{$k};
        }
    }
    open(my $fh, '>', "$self->{conf_file}.tmp") or croak("conf: $!");
    print {$fh} "# written by t/lib/FeatTest.pm\n";
    print {$fh} "$_ = $c->{$_}\n" for sort keys %$c;
    close($fh) or croak("conf: $!");
    rename("$self->{conf_file}.tmp", $self->{conf_file}) or croak("conf: $!");
    return $self;
}

# The environment of every featcgi and featctl this harness runs: the
# sanitizers write their reports into san/, where stop() looks.
sub _child_env {
    my ($self) = @_;
    my $san = "$self->{dir}/san";
    my %env = %{ $self->{opt}{env} // {} };

    $env{ASAN_OPTIONS} = join(':', grep { defined && length }
        $ENV{ASAN_OPTIONS}, "log_path=$san/asan");
    $env{UBSAN_OPTIONS} = join(':', grep { defined && length }
        $ENV{UBSAN_OPTIONS}, "log_path=$san/ubsan", 'print_stacktrace=1');
    $env{LSAN_OPTIONS} = join(':', grep { defined && length }
        $ENV{LSAN_OPTIONS}, "log_path=$san/lsan");
    return \%env;
}

# Forks and execs argv with stdout and stderr appended to $log; answers
# the pid.
sub _spawn {
    my ($self, $log, $env, @argv) = @_;
    my $pid = fork();

    croak("fork: $!") if !defined $pid;
    if ($pid == 0) {
        open(STDIN, '<', '/dev/null');
        open(STDOUT, '>>', $log) or POSIX::_exit(126);
        open(STDERR, '>&', \*STDOUT) or POSIX::_exit(126);
        $ENV{$_} = $env->{$_} for keys %$env;
        { no warnings q(exec); exec { $argv[0] } @argv; }
        print STDERR "exec $argv[0]: $!\n";
        POSIX::_exit(127);
    }
    return $pid;
}

# waitpid with a deadline: the exit status ($?), or undef on timeout.
sub _wait_pid {
    my ($pid, $timeout) = @_;
    my $end = time + $timeout;

    while (1) {
        my $r = waitpid($pid, WNOHANG);
        return $? if $r == $pid;
        return -1 if $r == -1;
        return undef if time > $end;
        sleep(0.02);
    }
}

sub _slurp {
    my ($path) = @_;

    open(my $fh, '<:raw', $path) or return '';
    local $/;
    my $s = <$fh>;
    close($fh);
    return $s // '';
}

# Starts featcgi, then nginx; dies with the logs if either does not come up.
sub start {
    my ($self) = @_;
    my $dir = $self->{dir};
    my $deadline;

    unlink($self->{sock});
    my $hash = $self->{conf}{hash_listen} // '';
    unlink($hash) if $hash ne '';
    $self->{pids}{featcgi} = $self->_spawn("$dir/log/featcgi.stderr",
        $self->_child_env, $self->{opt}{featcgi} // "$self->{build}/featcgi",
        '-c', $self->{conf_file});
    $self->{stopped} = 0;

    # The master binds before it forks: the socket file is the signal.
    # Connecting would make a worker accept an empty connection.
    $deadline = time + 60;
    while (!-S $self->{sock} || ($hash ne '' && !-S $hash)) {
        if (defined _wait_pid($self->{pids}{featcgi}, 0)) {
            delete $self->{pids}{featcgi};
            $self->{failed_start} = 1;
            croak("FeatTest: featcgi exited at start:\n"
                . _slurp("$dir/log/featcgi.stderr")
                . _slurp("$dir/log/featcgi-error.log"));
        }
        croak('FeatTest: featcgi did not create its socket')
            if time > $deadline;
        sleep(0.02);
    }

    for my $try (1 .. 5) {
        return $self if $self->_start_nginx;
    }
    $self->{failed_start} = 1;
    croak("FeatTest: nginx did not start (see $dir/failed-start-*):\n"
        . join('', map { _slurp($_) } glob("$dir/failed-start-*")));
}

sub _nginx_has_e {
    my ($self) = @_;
    my $v = `$self->{nginx} -v 2>&1` // '';

    # -e (error log at start) came in nginx 1.19.5.
    return 0 if $v !~ m{nginx/(\d+)\.(\d+)\.(\d+)};
    return ($1 * 1_000_000 + $2 * 1000 + $3) >= 1_019_005;
}

sub _start_nginx {
    my ($self) = @_;
    my $dir = $self->{dir};
    my (%used, $tpl, $pid, $deadline);

    $self->{port} = _free_port(\%used);
    $used{ $self->{port} } = 1;
    $self->{port2} = _free_port(\%used);

    $tpl = _slurp("$SRCDIR/nginx/featcgi.conf.in");
    croak('FeatTest: no nginx/featcgi.conf.in') if $tpl eq '';
    my %sub = (
        PREFIX     => $dir,
        PORT       => $self->{port},
        PORT2      => $self->{port2},
        SOCKET     => $self->{sock},
        HASH_SOCKET => ($self->{conf}{hash_listen} // '') ne ''
            ? $self->{conf}{hash_listen} : $self->{sock},
        MEDIA_DIR  => "$dir/media",
        BODY_LIMIT => $self->{opt}{body_limit}
            // $self->{conf}{max_upload} // '10m',
        NGINX_DIR  => "$SRCDIR/nginx",
        CONSOLE_DIR => $self->{opt}{console} // "$SRCDIR/console",
        USER       => scalar(getpwuid($>)) // 'nobody',
    );
    $tpl =~ s/\@([A-Z0-9_]+)\@/exists $sub{$1} ? $sub{$1} : "\@$1\@"/ge;
    croak("FeatTest: unfilled placeholder $1 in the nginx template")
        if $tpl =~ /(\@[A-Z0-9_]+\@)/;
    open(my $fh, '>', "$dir/nginx.conf") or croak("nginx.conf: $!");
    print {$fh} $tpl;
    close($fh);

    $pid = $self->_spawn("$dir/log/nginx.stderr", {}, $self->{nginx},
        '-p', "$dir/", '-c', "$dir/nginx.conf",
        ($self->_nginx_has_e ? ('-e', "$dir/log/nginx-error.log") : ()));
    $self->{pids}{nginx} = $pid;

    $deadline = time + 30;
    while (time < $deadline) {
        last if defined _wait_pid($pid, 0);
        # nginx writes its pid file once every listen socket is bound,
        # so a connect cannot be answered by someone else's server.
        my $ok = _slurp("$dir/nginx.pid") =~ /^\Q$pid\E\b/ ? 1 : 0;
        for my $p ($self->{port}, $self->{port2}) {
            my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                PeerPort => $p, Proto => 'tcp', Timeout => 1);
            if ($s) {
                close($s);
            } else {
                $ok = 0;
            }
        }
        return 1 if $ok;
        sleep(0.05);
    }

    # Most likely a port taken between the probe and the bind.  Keep this
    # attempt's logs (nginx's [emerg]) out of the end-of-test check.
    if (kill(0, $pid)) {
        kill('KILL', $pid);
        waitpid($pid, 0);
    }
    delete $self->{pids}{nginx};
    for my $f (qw(nginx-error.log nginx.stderr)) {
        rename("$dir/log/$f", "$dir/failed-start-$pid-$f");
    }
    return 0;
}


# ---- accessors ------------------------------------------------------------

sub dir { return $_[0]{dir} }
sub port { return $_[0]{port} }
sub port2 { return $_[0]{port2} }
sub conf { return $_[0]{conf} }
sub conf_file { return $_[0]{conf_file} }
sub master_pid { return $_[0]{pids}{featcgi} }

# After a binary upgrade the new master is the one to signal and stop; a
# test that made itself a subreaper (prctl PR_SET_CHILD_SUBREAPER) gets it
# as a child once the old master has exited, so stop() can reap it.
sub set_master_pid { $_[0]{pids}{featcgi} = $_[1]; return $_[0] }
sub nginx_pid { return $_[0]{pids}{nginx} }

# Log lines from $t->dir/log/NAME ("featcgi-error.log", "nginx-access.log").
sub log_lines {
    my ($self, $name) = @_;

    return split(/\n/, _slurp("$self->{dir}/log/$name"));
}

# The objects of a file of JSON lines (a fake's --log, the log push
# provider's file), in order; none while the file does not exist.  A
# function: FeatTest::json_lines($file).
sub json_lines {
    my ($file) = @_;

    open(my $fh, '<', $file) or return ();
    my @r = map { JSON::PP::decode_json($_) } <$fh>;
    close($fh);
    return @r;
}

# Lines the test provokes on purpose (a kill -9): exempt from the check.
sub allow_log {
    my ($self, @re) = @_;

    push @{ $self->{allow} }, @re;
    return $self;
}


# ---- HTTP -----------------------------------------------------------------

sub url {
    my ($self, $path, $app) = @_;
    my $port = defined $app && $app eq 'shop' ? $self->{port2} : $self->{port};

    return "http://127.0.0.1:$port$path";
}

# ($status, \%headers, $data): $data is the decoded JSON when the answer is
# JSON, else the raw body.  $body: a reference (sent as JSON), a string
# (sent as is, Content-Type application/json unless given), or undef.
# Pseudo-headers: -token => T (Authorization: Token T), -app => 'shop'
# (through the nginx server of app shop, which sets FEAT_APP_ID).
sub request {
    my ($self, $method, $path, $body, $headers) = @_;
    my %h = %{ $headers // {} };
    my $app = delete $h{-app};
    my $token = delete $h{-token};
    my (%o, $res, $data);

    $h{Authorization} = "Token $token" if defined $token;
    if (defined $body) {
        $o{content} = ref($body) ? $JSON->encode($body) : $body;
        $h{'Content-Type'} //= 'application/json; charset=utf-8'
            if !grep { lc($_) eq 'content-type' } keys %h;
    }
    $o{headers} = \%h;

    $res = HTTP::Tiny->new(timeout => 120, max_redirect => 0,
        keep_alive => 0)->request($method, $self->url($path, $app), \%o);
    $data = $res->{content} // '';
    if (($res->{headers}{'content-type'} // '') =~ /json/ && $data ne '') {
        my $d = eval { $JSON->decode($data) };
        $data = $d if !$@;
    }
    return ($res->{status}, $res->{headers}, $data);
}

# get(PATH, HEADERS), or get(PATH, BODY, HEADERS) like the others.
sub get {
    my ($self, $path, @rest) = @_;

    return $self->request('GET', $path, @rest) if @rest >= 2;
    return $self->request('GET', $path, undef, $rest[0]);
}

sub post { my $s = shift; return $s->request('POST', @_) }
sub put { my $s = shift; return $s->request('PUT', @_) }
sub patch { my $s = shift; return $s->request('PATCH', @_) }

sub delete {
    my ($self, $path, $body, $headers) = @_;

    return $self->request('DELETE', $path, $body, $headers);
}


# ---- database -------------------------------------------------------------

# A DBI handle on the test database (same file featcgi uses; WAL lets it
# read while featcgi writes).  Tests read; they write only to set a stage.
sub dbh {
    my ($self) = @_;

    return $self->{dbh} if $self->{dbh} && $self->{dbh_pid} == $$;
    $self->{dbh} = DBI->connect("dbi:SQLite:dbname=$self->{conf}{database}",
        '', '', { RaiseError => 1, PrintError => 0, AutoCommit => 1,
        sqlite_unicode => 1 });
    $self->{dbh}->sqlite_busy_timeout(10000);
    $self->{dbh_pid} = $$;
    return $self->{dbh};
}

# First row as a hash ref (undef if none); all rows; first column.
sub db_row {
    my ($self, $sql, @bind) = @_;

    return $self->dbh->selectrow_hashref($sql, undef, @bind);
}

sub db_rows {
    my ($self, $sql, @bind) = @_;

    return $self->dbh->selectall_arrayref($sql, { Slice => {} }, @bind);
}

sub db_value {
    my ($self, $sql, @bind) = @_;
    my @r = $self->dbh->selectrow_array($sql, undef, @bind);

    return $r[0];
}


# ---- codes, featctl -------------------------------------------------------

# The last code the log provider wrote for an account: a phone (area 86
# unless area => A) or an email; app => ID to pick one app's line when
# the lines name the app.  undef if none.
sub code_for {
    my ($self, $account, %o) = @_;
    my $path = $self->{conf}{'sms.log_path'} // "$self->{dir}/sms.log";
    my ($to, $code);

    if ($account =~ /\@/) {
        $to = lc($account);
    } else {
        $to = ($o{area} // '86') . $account;
    }
    # The newest line wins: read the file backwards in blocks, so a load
    # test that sends thousands of codes does not rescan it every time.
    open(my $fh, '<:raw', $path) or return undef;
    my $pos = -s $fh;
    my $tail = '';
    while ($pos > 0 && !defined $code) {
        my $n = $pos >= 65536 ? 65536 : $pos;
        my $buf;
        $pos -= $n;
        seek($fh, $pos, 0);
        read($fh, $buf, $n);
        $tail = $buf . $tail;
        # Keep a partial first line for the next block.
        my $cut = $pos > 0 ? index($tail, "\n") : -1;
        my $part = $cut >= 0 ? substr($tail, $cut + 1) : $tail;
        for my $line (reverse split(/\n/, $part)) {
            next if $line !~ /\bto=\+?\Q$to\E(\s|$)/;
            next if defined $o{app} && $line =~ /\bapp=(\S*)/
                && $1 ne $o{app};
            if ($line =~ /\bcode=(\d+)/) {
                $code = $1;
                last;
            }
        }
        $tail = $cut >= 0 ? substr($tail, 0, $cut + 1) : '';
    }
    close($fh);
    return $code;
}

# Registers an account through v2 send_code and register; answers the
# register answer's data (access_token, refresh_token, ...) and dies when
# a step fails.  Options: area, app (the sms.log line to read), headers.
sub register_v2 {
    my ($self, $account, $password, %o) = @_;
    my %h = %{ $o{headers} // {} };
    my %acct = (account => $account, defined $o{area} ? (area => $o{area}) : ());
    my ($st, $code, $j);

    ($st, undef, $j) = $self->post('/api/auth/send_code', {%acct}, {%h});
    croak("send_code $account: $st " . $JSON->encode($j))
        if $st != 200 || ref($j) ne 'HASH' || $j->{code} != 0;
    $code = $self->code_for($account, area => $o{area}, app => $o{app});
    croak("no code for $account in sms.log") if !defined $code;
    ($st, undef, $j) = $self->post('/api/auth/register',
        { %acct, code => $code, password => $password }, {%h});
    croak("register $account: $st " . $JSON->encode($j))
        if $st != 200 || ref($j) ne 'HASH' || $j->{code} != 0;
    return $j->{data};
}

# A code that differs from code in its last digit.  Done with string
# operations: a string used as a number is sent by JSON::PP as a number.
sub other_code {
    my ($code) = @_;
    my $last = substr($code, -1);

    return substr($code, 0, -1) . ($last eq '9' ? '0' : chr(ord($last) + 1));
}

# Runs featctl with the test config: ($exit, $stdout, $stderr).
sub featctl {
    my ($self, @args) = @_;

    return $self->featctl_in(undef, @args);
}

# featctl with $input (a string; undef: nothing) on its standard input.
sub featctl_in {
    my ($self, $input, @args) = @_;
    my $dir = $self->{dir};
    my $n = ++$self->{ctl_runs};
    my ($out, $err) = ("$dir/featctl-$n.out", "$dir/featctl-$n.err");
    my $in = "$dir/featctl-$n.in";
    my $pid;
    my $st;

    if (defined $input) {
        open(my $fh, '>:raw', $in) or croak("$in: $!");
        print $fh $input;
        close($fh);
    }
    $pid = fork();
    croak("fork: $!") if !defined $pid;
    if ($pid == 0) {
        my $env = $self->_child_env;

        open(STDIN, '<', defined $input ? $in : '/dev/null');
        open(STDOUT, '>', $out) or POSIX::_exit(126);
        open(STDERR, '>', $err) or POSIX::_exit(126);
        $ENV{$_} = $env->{$_} for keys %$env;
        my $bin = "$self->{build}/featctl";
        { no warnings q(exec); exec {$bin} $bin, '-c', $self->{conf_file}, @args; }
        POSIX::_exit(127);
    }
    $st = _wait_pid($pid, 120);
    if (!defined $st) {
        kill('KILL', $pid);
        waitpid($pid, 0);
        $st = 9;
    }
    my @r = (($st & 127) ? 128 + ($st & 127) : $st >> 8,
        _slurp($out), _slurp($err));
    unlink($out, $err, $in);
    return @r;
}


# ---- processes ------------------------------------------------------------

# Live (not zombie) children of pid, by the ppid field of /proc/*/stat.
sub _children {
    my ($ppid) = @_;
    my @kids;

    return () if !defined $ppid;
    opendir(my $d, '/proc') or return ();
    for my $pid (grep { /^\d+$/ } readdir($d)) {
        my $stat = _slurp("/proc/$pid/stat");
        my $i = rindex($stat, ')');
        next if $i < 0;
        my ($state, $pp) = split(' ', substr($stat, $i + 2));
        push @kids, $pid + 0 if defined $pp && $pp == $ppid && $state ne 'Z';
    }
    closedir($d);
    return sort { $a <=> $b } @kids;
}

# The inode of featcgi's listening socket, from /proc/net/unix.
# The inode of the listening socket at $path (default: the main one).
sub _listen_inode {
    my ($self, $path) = @_;

    $path //= $self->{sock};
    for my $line (split(/\n/, _slurp('/proc/net/unix'))) {
        my @f = split(' ', $line);
        # Num RefCount Protocol Flags Type St Inode Path; 00010000 listens
        return $f[6] if @f >= 8 && $f[7] eq $path && $f[3] eq '00010000';
    }
    return undef;
}

sub _has_fd_inode {
    my ($pid, $inode) = @_;

    opendir(my $d, "/proc/$pid/fd") or return 0;
    for my $fd (readdir($d)) {
        my $l = readlink("/proc/$pid/fd/$fd") // '';
        return 1 if $l eq "socket:[$inode]";
    }
    return 0;
}

# The jobs process among the master's children, or undef when it cannot be
# told apart: by a process title naming it, by the role its log lines
# carry ("PID#jobs"), or as the one child without the listening socket.
sub jobs_pid {
    my ($self) = @_;
    my @kids = _children($self->master_pid);
    my (%role, $inode, @nosock);

    for my $pid (@kids) {
        my $cmd = _slurp("/proc/$pid/cmdline");
        $cmd =~ tr/\0/ /;
        return $pid if $cmd =~ /\bjobs\b/ && $cmd !~ /\bworker\b/;
    }
    for my $line ($self->log_lines('featcgi-error.log')) {
        $role{$1} = $2 if $line =~ /\b(\d+)#(jobs|worker|master)\b/;
    }
    for my $pid (@kids) {
        return $pid if ($role{$pid} // '') eq 'jobs';
    }
    # the one child that holds neither listening socket
    my @inodes = grep { defined } $self->_listen_inode,
        $self->_listen_inode($self->{conf}{hash_listen} // '');
    if (@inodes) {
        @nosock = grep { my $p = $_; !grep { _has_fd_inode($p, $_) } @inodes }
            @kids;
        return $nosock[0] if @nosock == 1 && @kids > 1;
    }
    return undef;
}

# The master's children that serve requests (the jobs process left out
# when it can be told apart).
# The workers of the main pool: the children that hold its socket (every
# child but the jobs process when the socket cannot be found).
sub worker_pids {
    my ($self) = @_;
    my $inode = $self->_listen_inode;
    my $jobs;

    return grep { _has_fd_inode($_, $inode) } _children($self->master_pid)
        if defined $inode;
    $jobs = $self->jobs_pid;
    return grep { !defined $jobs || $_ != $jobs } _children($self->master_pid);
}

# The workers of the hashing pool ("hash_listen"), if any.
sub hash_worker_pids {
    my ($self) = @_;
    my $inode = $self->_listen_inode($self->{conf}{hash_listen} // '');

    return () if !defined $inode;
    return grep { _has_fd_inode($_, $inode) } _children($self->master_pid);
}

# Sends a signal to the featcgi master.
sub signal {
    my ($self, $sig) = @_;

    return kill($sig, $self->master_pid);
}

# Polls cond every 50 ms for up to timeout s: answers its last value.
sub wait_for {
    my ($self, $cond, $timeout) = @_;
    my $end = time + ($timeout // 20);
    my $v;

    while (1) {
        $v = $cond->();
        return $v if $v || time > $end;
        sleep(0.05);
    }
}

# Reaps the featcgi master after a test signalled it: its exit status
# ($?), or undef if it is still running after timeout seconds.
sub wait_exit {
    my ($self, $timeout) = @_;
    my $pid = $self->{pids}{featcgi} or return undef;
    my $st = _wait_pid($pid, $timeout // 30);

    delete $self->{pids}{featcgi} if defined $st;
    return $st;
}

# Stops nginx, then featcgi with SIGTERM (SIGKILL after a timeout), and
# answers featcgi's exit status (undef if it had to be killed).
sub stop_processes {
    my ($self) = @_;
    my $st;

    for my $name (qw(nginx featcgi)) {
        my $pid = delete $self->{pids}{$name} or next;
        my @kids = $name eq 'featcgi' ? _children($pid) : ();

        kill('TERM', $pid);
        $st = _wait_pid($pid, $name eq 'nginx' ? 10 : 30);
        if (!defined $st) {
            kill('KILL', $pid);
            waitpid($pid, 0);
            $self->{killed}{$name} = 1;
        }
        $self->{exit}{$name} = $st;

        # A worker must not outlive its master; none may outlive the test.
        for my $k (@kids) {
            next if !kill(0, $k) || _slurp("/proc/$k/cmdline") !~ /featcgi/;
            $self->wait_for(sub { !kill(0, $k) }, 5);
            next if !kill(0, $k);
            kill('KILL', $k);
            $self->{orphans}++;
        }
    }
    $self->{dbh}->disconnect if $self->{dbh} && $self->{dbh_pid} == $$;
    delete $self->{dbh};
    return $self->{exit}{featcgi};
}

# What the end-of-test check finds: (\@alert_lines, \@sanitizer_reports).
sub log_problems {
    my ($self) = @_;
    my $dir = $self->{dir};
    my (@alerts, @san);

    opendir(my $d, "$dir/log");
    for my $f (sort grep { !/^\./ && !/access/ } readdir($d)) {
        for my $line (split(/\n/, _slurp("$dir/log/$f"))) {
            if ($line =~ /\[(alert|emerg)\]/) {
                next if grep { $line =~ $_ } @{ $self->{allow} };
                push @alerts, "$f: $line";
            }
            push @san, "$f: $line"
                if $line =~ /ERROR: (Address|Leak)Sanitizer|runtime error:/;
        }
    }
    closedir($d);
    opendir($d, "$dir/san");
    push @san, map { "san/$_" } sort grep { !/^\./ } readdir($d);
    closedir($d);
    return (\@alerts, \@san);
}

# Stops everything and asserts (three tests) a clean stop, no [alert] or
# [emerg] in any error log and no sanitizer report.  Call it before
# done_testing; END does the same for a file that did not.
sub stop {
    my ($self) = @_;

    return if $self->{stopped} || $$ != $self->{owner};
    $self->{stopped} = 1;
    $self->_finish(1);
}

sub _finish {
    my ($self, $as_tests) = @_;
    my $tb = Test::More->builder;
    my $had_featcgi = exists $self->{pids}{featcgi};
    my ($st, $alerts, $san, @bad);

    $st = $self->stop_processes;
    ($alerts, $san) = $self->log_problems;

    if ($had_featcgi && !$self->{failed_start}) {
        push @bad, 'featcgi did not stop on SIGTERM'
            if $self->{killed}{featcgi};
        push @bad, "featcgi exited with status $st on SIGTERM"
            if defined $st && $st != 0 && $st != -1;
        push @bad, "$self->{orphans} featcgi children outlived the master"
            if $self->{orphans};
    }
    push @bad, map { "alert: $_" } @$alerts;
    push @bad, map { "sanitizer: $_" } @$san;

    # Tests may be added unless a fixed plan or done_testing closed the
    # count; then a failure only changes the exit status.
    my $plan = $tb->has_plan;
    if ($as_tests && (!defined $plan || $plan eq 'no_plan')) {
        if ($had_featcgi) {
            ok(!$self->{killed}{featcgi} && (!defined $st || $st <= 0)
                && !$self->{orphans},
                'featcgi stopped on SIGTERM with status 0, with its children')
                or diag('exit status ' . ($st // 'none (killed)')
                    . ', children left: ' . ($self->{orphans} // 0));
        }
        ok(!@$alerts, 'no [alert] or [emerg] in the logs')
            or diag(join("\n", @$alerts));
        ok(!@$san, 'no sanitizer report')
            or diag(join("\n", @$san, map { _slurp("$self->{dir}/$_") }
                grep { m{^san/} } @$san));
    } elsif (@bad) {
        diag("FeatTest at the end: $_") for @bad;
        $self->{late_failure} = 1;
    }

    # A start that was meant to fail (a bad config under test) leaves
    # nothing worth keeping; an unexpected one fails the file anyway.
    if (@bad || !$tb->is_passing || $ENV{FEAT_KEEP}) {
        diag("FeatTest: kept $self->{dir}");
    } else {
        remove_tree($self->{dir});
    }
    @LIVE = grep { $_ != $self } @LIVE;
}

sub DESTROY {
    my ($self) = @_;

    return if $$ != ($self->{owner} // 0) || $self->{stopped}
        || !$self->{dir};
    $self->{stopped} = 1;
    $self->_finish(0);
}

END {
    my $late = 0;

    for my $t (grep { $$ == $_->{owner} && !$_->{stopped} } @LIVE) {
        $t->{stopped} = 1;
        $t->_finish(1);
        $late ||= $t->{late_failure};
    }
    $? = 1 if $late && $? == 0;
}


# ---- load -----------------------------------------------------------------

# Runs clients forked clients, each making requests until seconds have
# passed, requests are done, or the request sub answers an empty list;
# during => sub runs in the parent meanwhile (stop => 1 ends the clients
# when it returns).  request => sub ($client, $i, $t) answers
# (METHOD, PATH, BODY, HEADERS, TAG); TAG is kept with the answer.
# Answers { total, ok (HTTP 200), failed (the rest), errors (no answer),
# status => { STATUS => count }, answers => [ { client, i, method, path,
# status, data, tag } ] }.  Bounded: clients are killed seconds + 60 s
# after the start.
sub load {
    my (%a) = @_;
    my $t = $a{t} or croak('load: t');
    my $make = $a{request} or croak('load: request');
    my $clients = $a{clients} // 4;
    my $seconds = $a{seconds} // 5;
    my $max = $a{requests} // 1_000_000;
    my $stopf = "$t->{dir}/load-$$.stop";
    my $start = time;
    my (@kids, %res);

    unlink($stopf);
    for my $c (1 .. $clients) {
        my $pid = fork();
        croak("fork: $!") if !defined $pid;
        if ($pid == 0) {
            my $out = "$t->{dir}/load-$$-$c.jsonl";
            open(my $fh, '>', $out) or POSIX::_exit(1);
            $fh->autoflush(1);
            for (my $i = 0; $i < $max; $i++) {
                last if time - $start >= $seconds || -e $stopf;
                my ($m, $p, $b, $h, $tag) = $make->($c, $i, $t);
                last if !defined $m;
                my ($st, undef, $d) = $t->request($m, $p, $b, $h);
                print {$fh} $JSON->encode({ client => $c, i => $i,
                    method => $m, path => $p, status => $st,
                    data => $d, tag => $tag }), "\n";
            }
            close($fh);
            # No END blocks or destructors in a child: they belong to the
            # parent's servers and database handle.
            POSIX::_exit(0);
        }
        push @kids, [ $pid, "$t->{dir}/load-$pid-$c.jsonl" ];
    }

    $a{during}->($t) if $a{during};
    if ($a{stop}) {
        open(my $fh, '>', $stopf);
        close($fh) if $fh;
    }
    for my $k (@kids) {
        my $left = $start + $seconds + 60 - time;
        if (!defined _wait_pid($k->[0], $left > 0 ? $left : 0)) {
            kill('KILL', $k->[0]);
            waitpid($k->[0], 0);
        }
    }
    unlink($stopf);

    %res = (total => 0, ok => 0, failed => 0, errors => 0, status => {},
        answers => []);
    for my $k (@kids) {
        for my $line (split(/\n/, _slurp($k->[1]))) {
            my $r = eval { $JSON->decode($line) } or next;
            $res{total}++;
            $res{status}{ $r->{status} }++;
            if ($r->{status} == 200) {
                $res{ok}++;
            } else {
                $res{failed}++;
            }
            $res{errors}++ if $r->{status} == 599;
            push @{ $res{answers} }, $r;
        }
        unlink($k->[1]);
    }
    return \%res;
}


# ---- the console (admin API) -----------------------------------------------

# A manager that may sign in to the console, made with featctl: login
# (required), password (default "admin-pw-1"), name (default the login),
# app => ID (default "") or all_apps => 1, totp => 1 (a TOTP secret: its
# otpauth:// URI and base32 secret come back).  Answers { id, login,
# password, app, all_apps, uri, secret }.
sub admin_manager {
    my ($self, %o) = @_;
    my $login = $o{login} // croak('admin_manager: login');
    my $pw = $o{password} // 'admin-pw-1';
    my @where = $o{all_apps} ? ('--all-apps')
        : ('--app', $o{app} // '');
    my ($rc, $out, $err) = $self->featctl('--json', 'manager', 'add',
        $o{name} // $login, '--login', $login, @where);

    croak("manager add $login: $err") if $rc != 0;
    my $m = $JSON->decode($out);
    ($rc, $out, $err) = $self->featctl_in("$pw\n", 'manager', 'passwd',
        $m->{id}, '--password-stdin');
    croak("manager passwd $m->{id}: $err") if $rc != 0;

    my %r = (id => $m->{id}, login => $login, password => $pw,
        app => $o{app} // '', all_apps => $o{all_apps} ? 1 : 0);
    if ($o{totp}) {
        ($rc, $out, $err) = $self->featctl('--json', 'manager', 'totp',
            $m->{id});
        croak("manager totp $m->{id}: $err") if $rc != 0;
        $r{uri} = $JSON->decode($out)->{uri};
        ($r{secret}) = $r{uri} =~ /[?&]secret=([A-Z2-7]+)/;
    }
    return \%r;
}

# The RFC 6238 code (6 digits, 30 s, SHA-1) of a base32 secret at time t
# (default now).
sub totp_code {
    my ($secret, $t) = @_;
    my ($bits, $key) = ('', '');

    require Digest::SHA;
    for my $c (split //, $secret) {
        $bits .= sprintf('%05b', index('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', $c));
    }
    $key = pack('B*', substr($bits, 0, length($bits) - length($bits) % 8));
    my $step = int(($t // time) / 30);
    my $mac = Digest::SHA::hmac_sha1(pack('NN', int($step / 2**32),
        $step % 2**32), $key);
    my $off = ord(substr($mac, -1)) & 0x0f;
    my $bin = unpack('N', substr($mac, $off, 4)) & 0x7fffffff;
    return sprintf('%06d', $bin % 1000000);
}

# Signs in to the console and answers a FeatTest::AdminClient, which sends
# the session's cookie and CSRF token with every request.  With a login
# that has no manager yet, one is made first (admin_manager's options:
# password, app, all_apps).  totp => CODE is sent with the sign-in.
sub admin_login {
    my ($self, %o) = @_;
    my $login = $o{login} // croak('admin_login: login');

    if (!$self->db_value('SELECT 1 FROM managers WHERE login = ?', $login)) {
        $self->admin_manager(%o);
    }
    my ($st, $h, $j) = $self->post('/admin/api/session', { login => $login,
        password => $o{password} // 'admin-pw-1',
        defined $o{totp} ? (totp => $o{totp}) : () });
    croak("admin sign-in of $login: $st " . $JSON->encode(ref $j ? $j : [$j]))
        if $st != 200;
    my ($cookie) = ($h->{'set-cookie'} // '') =~ /^(feat_admin=[^;]+)/;
    return bless({ t => $self, cookie => $cookie, csrf => $j->{data}{csrf},
        manager => $j->{data}{manager}, login => $login },
        'FeatTest::AdminClient');
}

package FeatTest::AdminClient;

# ($status, \%headers, $data) as FeatTest's request, with the cookie and,
# for every method but GET, X-CSRF-Token.  Headers: -no_csrf => 1 leaves
# the token out, -csrf => T sends T instead.
sub request {
    my ($self, $method, $path, $body, $headers) = @_;
    my %h = %{ $headers // {} };
    my $no = delete $h{-no_csrf};
    my $csrf = delete $h{-csrf};

    $h{Cookie} //= $self->{cookie};
    $h{'X-CSRF-Token'} = $csrf // $self->{csrf}
        if $method ne 'GET' && !$no;
    return $self->{t}->request($method, $path, $body, \%h);
}

sub get { my ($s, $p, $h) = @_; return $s->request('GET', $p, undef, $h) }
sub post { my $s = shift; return $s->request('POST', @_) }
sub put { my $s = shift; return $s->request('PUT', @_) }
sub patch { my $s = shift; return $s->request('PATCH', @_) }
sub delete { my $s = shift; return $s->request('DELETE', @_) }

package FeatTest;

1;

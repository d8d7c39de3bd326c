#!/usr/bin/perl
# t/bench/push.pl: pushes delivered per second ("t/bench/run push").
#
# Starts a pool (t/lib/FeatTest.pm, the build in FEAT_BUILDDIR), fills the
# default app with BENCH_PUSH_TARGETS users (comma-separated counts,
# default "1000,100000") each with one APNs token, written straight into
# the database (the setup is not what is measured), then queues one push
# to every user and times it from "featctl push send" until every outbox
# row is resolved: fan-out, claim, send and resolve by the jobs process.
# Providers (BENCH_PUSH_PROVIDERS, default "log,apns,apns-h2c"): the log
# provider (push.log_path: the outbox and the jobs loop alone), the APNs
# fake t/fake/apns.py over h2 with TLS (a test certificate; libcurl
# multiplexes the deliveries as streams of one connection), and the same
# fake as h2c with prior knowledge (a connection per delivery: libcurl
# 7.88 cannot reuse one), the APNs ones for targets up to
# BENCH_PUSH_APNS_MAX (100000).  Each runs once per push.concurrency in
# BENCH_PUSH_CONCURRENCY (default "1,16"; "-": leave the key out, for a
# build that does not know it).  BENCH_PUSH_DELAY (ms, default 0) holds
# each of the fake's answers that long, as a network would.  Prints targets, provider, concurrency,
# seconds, pushes/s and the jobs process's peak RSS (VmHWM).  Timings are
# never assertions.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use File::Temp qw(tempdir);
use FeatAdmin;
use FeatTest;
use Test::More;
use Time::HiRes qw(time);

my @counts = split /,/, ($ENV{BENCH_PUSH_TARGETS} // '1000,100000');
my $apns_max = $ENV{BENCH_PUSH_APNS_MAX} // 100000;
my @providers = split /,/, ($ENV{BENCH_PUSH_PROVIDERS} // 'log,apns,apns-h2c');
my @concs = split /,/, ($ENV{BENCH_PUSH_CONCURRENCY} // '1,16');
my $delay = $ENV{BENCH_PUSH_DELAY} // 0;
my $dir = tempdir('feat-bench-push-XXXXXX', TMPDIR => 1, CLEANUP => 1);

system("openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null"
    . " | openssl pkcs8 -topk8 -nocrypt -out $dir/key.p8"
    . " && openssl ec -in $dir/key.p8 -pubout -out $dir/key.pub"
    . " 2>/dev/null"
    . " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
    . " -nodes -keyout $dir/tls.key -out $dir/tls.crt -days 2"
    . " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    . " 2>/dev/null") == 0 or die "openssl: cannot make the keys\n";
my $p8 = do { local (@ARGV, $/) = "$dir/key.p8"; <> };

sub fill {
    my ($t, $n) = @_;
    my $dbh = $t->dbh;
    my $now = time;

    $dbh->begin_work;
    my $u = $dbh->prepare(q{INSERT INTO users (app_id, username, openid,
        created_at, updated_at) VALUES ('', ?, ?, ?, ?)});
    my $d = $dbh->prepare(q{INSERT INTO apns_device (app_id, user_id, token,
        created_at, updated_at) VALUES ('', ?, ?, ?, ?)});
    for my $i (1 .. $n) {
        $u->execute("bench$i", "bench-openid-$i", int($now), int($now));
        $d->execute($dbh->sqlite_last_insert_rowid,
            sprintf('%064x', $i), int($now), int($now));
    }
    $dbh->commit;
}

sub run {
    my ($n, $provider, $conc) = @_;
    my %conf = ('push.retry_base' => 1000, log_level => 'warn');
    my ($fake_log, $port, $fake_pid, $fake_out, $scheme);

    $conf{'push.concurrency'} = $conc if $conc ne '-';

    if ($provider eq 'log') {
        $conf{'push.log_path'} = "$dir/push-$n.log";
    } else {
        $fake_log = "$dir/apns-$n.log";
        unlink $fake_log;
        my @tls = $provider eq 'apns' ? ('--cert', "$dir/tls.crt", '--key',
            "$dir/tls.key") : ();
        $scheme = @tls ? 'https' : 'http';
        # FeatFake::start looks in t/bench/fake: start it here
        my $py = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
        $fake_pid = open($fake_out, '-|', $py, "$FindBin::Bin/../fake/apns.py",
            '--ttl', 7200, '--log', $fake_log, '--key-pub', "$dir/key.pub",
            '--team', 'TEAM45', '--kid', 'KEY1', '--topic', 'bench',
            '--quiet', '--delay', $delay, @tls)
            or die "apns.py: $!\n";
        chomp($port = <$fake_out>);
    }

    my $t = FeatTest->new(%conf);
    fill($t, $n);
    if ($provider ne 'log') {
        FeatAdmin::ctl_ok($t, 'app', 'set', '', 'apns.team_id=TEAM45',
            'apns.key_id=KEY1', "apns.key=$p8", 'apns.topic=bench',
            "apns.url=$scheme://127.0.0.1:$port",
            "apns.ca_file=$dir/tls.crt");
    }
    my $m = FeatAdmin::ctl_ok($t, 'manager', 'add', 'bench')->{id};

    my $t0 = time;
    my $p = FeatAdmin::ctl_ok($t, 'push', 'send', '--title', 'bench',
        '--body', 'bench', '--all', '--manager', $m);
    $t->wait_for(sub { $t->db_value('SELECT status FROM push WHERE id = ?',
        $p->{id}) != 0 }, 7200);
    my $secs = time - $t0;
    my $sent = $t->db_value('SELECT count(*) FROM outbox WHERE push_id = ?'
        . ' AND status = 2', $p->{id});
    my $jobs = $t->jobs_pid;
    my ($hwm) = `grep VmHWM /proc/$jobs/status` =~ /(\d+)/;

    printf "%8d targets  %-8s  conc %3s  %8.2f s  %9.0f pushes/s  sent %d"
        . "  jobs RSS peak %d kB\n", $n, $provider, $conc, $secs,
        $sent / $secs, $sent, $hwm // 0;
    $t->stop;
    if ($fake_pid) {
        kill('TERM', $fake_pid);
        close($fake_out);
    }
}

for my $n (@counts) {
    for my $provider (@providers) {
        next if $provider ne 'log' && $n > $apns_max;
        # the log provider is synchronous: push.concurrency changes nothing
        for my $conc ($provider eq 'log' ? ($concs[-1]) : @concs) {
            run($n, $provider, $conc);
        }
    }
}

done_testing();

#!/usr/bin/perl

# 20-package-upgrade.t: the Debian package's upgrade in place
# (debian/featcgi.postinst, featcgi_upgrade), without root and without
# systemd: the function is taken from the postinst as it ships and run
# under dash with a fake systemctl and deb-systemd-invoke first in PATH,
# against a fake master (a process that hands over on SIGUSR2 as
# featcgi's master does, or keeps serving, or dies).  A running unit whose
# config's pid_file is its PIDFile= gets SIGUSR2 and no restart when a new
# master takes over; it is restarted when the hand-over does not come in
# time or the unit fails meanwhile, or when the config does not name the
# unit's pid file; when the new binary refuses the config, the old master
# is left serving and the postinst fails; a unit not running is left to
# debhelper's start.  debian/rules must keep debhelper from stopping or
# restarting it.  What this does not cover: a real systemd following the
# new master through PIDFile=, and dpkg running an upgrade (tools/package
# --boot installs the package once under systemd; it does not upgrade).

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use FeatTest;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep);

my $src = FeatTest::srcdir();
my $dir = tempdir('featcgi-pkg-t-XXXXXX', TMPDIR => 1, CLEANUP => 1);

plan(skip_all => 'no dash') if system('command -v dash >/dev/null') != 0;

# ---- debian/rules ------------------------------------------------------------

{
    open(my $fh, '<', "$src/debian/rules") or die $!;
    my $rules = do { local $/; <$fh> };
    close($fh);
    like($rules, qr/^\tdh_installsystemd --no-stop-on-upgrade$/m,
        'debian/rules: dh_installsystemd --no-stop-on-upgrade (no stop'
        . ' before, no restart after an upgrade)');
}

# ---- the function, as the postinst ships it -------------------------------------

open(my $fh, '<', "$src/debian/featcgi.postinst") or die $!;
my $postinst = do { local $/; <$fh> };
close($fh);
my ($func) = $postinst =~ /^(featcgi_upgrade\(\) \{\n.*?^\}\n)/ms;
ok($func, 'featcgi_upgrade found in the postinst') or BAIL_OUT('no function');
like($postinst, qr/^\s+featcgi_upgrade "\$CONF" 120$/m,
    '... called with the config and a wait of a minute');
like($postinst, qr/if \[ -n "\$2" \] && \[ -z "\$\{DPKG_ROOT:-\}" \]/,
    '... on an upgrade only');
is(system('sh', '-n', "$src/debian/featcgi.postinst"), 0,
    'the postinst parses');

my $state = "$dir/state";
my $bin = "$dir/bin";
mkdir($_) for $state, $bin;

sub write_file {
    my ($path, $text, $mode) = @_;
    open(my $out, '>', $path) or die "$path: $!";
    print {$out} $text;
    close($out);
    chmod($mode, $path) if defined $mode;
}

sub slurp {
    my ($path) = @_;
    open(my $in, '<', $path) or return '';
    my $t = do { local $/; <$in> };
    close($in);
    return $t;
}

# systemctl, as the function uses it, over the files in $state
write_file("$bin/systemctl", <<"EOF", 0755);
#!/bin/sh
S=$state
echo "systemctl \$*" >> \$S/log
case "\$*" in
'is-active --quiet featcgi.service') [ -e \$S/active ] ;;
'show -p MainPID --value featcgi.service') cat \$S/mainpid ;;
'show -p PIDFile --value featcgi.service') cat \$S/pidfile ;;
'kill --kill-whom=main -s USR2 featcgi.service')
    kill -USR2 "\$(cat \$S/mainpid)" ;;
*) exit 0 ;;
esac
EOF
write_file("$bin/deb-systemd-invoke", <<"EOF", 0755);
#!/bin/sh
echo "deb-systemd-invoke \$*" >> $state/log
EOF

# The master: on SIGUSR2, per $state/mode, "handover" starts a new master
# (its pid the unit's main) and exits; "serve" keeps serving; "die" exits
# and the unit fails.  Not this test's child (forked twice), so that once
# gone it is reaped at once and "kill -0" sees it gone, as systemd's.
my @masters;

sub master {
    unlink("$state/mainpid");
    my $pid = fork();
    die "fork: $!" if !defined $pid;
    if ($pid == 0) {
        POSIX::setsid();
        my $m = fork();
        POSIX::_exit(0) if !defined $m || $m != 0;
        $SIG{USR2} = sub {
            my $mode = slurp("$state/mode");
            return if $mode =~ /serve/;
            if ($mode =~ /handover/) {
                my $new = fork();
                if (defined $new && $new == 0) {
                    exec('sleep', '300');
                }
                # the new master's workers start before the old one goes
                sleep(0.3);
                write_file("$state/mainpid.tmp", "$new\n");
                rename("$state/mainpid.tmp", "$state/mainpid");
            } else {
                unlink("$state/active");
            }
            POSIX::_exit(0);
        };
        write_file("$state/mainpid.tmp", "$$\n");
        rename("$state/mainpid.tmp", "$state/mainpid");
        sleep(1) while 1;
    }
    waitpid($pid, 0);
    sleep(0.05) until -s "$state/mainpid";
    my $m = slurp("$state/mainpid") =~ s/\s+//gr;
    push @masters, $m;
    return $m;
}

# Runs the function as the postinst would on an upgrade; the check of the
# new binary passes unless $state/check-fails exists.
sub upgrade {
    my (%o) = @_;
    my $conf = "$dir/featcgi.conf";
    write_file($conf, $o{conf} // "listen = x.sock\n"
        . "pid_file = /run/featcgi/featcgi.pid\n");
    write_file("$state/pidfile", "/run/featcgi/featcgi.pid\n");
    write_file("$state/log", '');
    $o{mode} //= 'handover';
    write_file("$state/mode", $o{mode} // 'handover');
    unlink("$state/check-fails");
    write_file("$state/check-fails", '') if $o{check_fails};
    if ($o{active} // 1) {
        write_file("$state/active", '');
    } else {
        unlink("$state/active");
    }
    write_file("$dir/run.sh", "set -e\nPATH=$bin:\$PATH\n"
        . "featcgi_check() { [ ! -e $state/check-fails ]; }\n"
        . $func . "featcgi_upgrade '$conf' " . ($o{wait} // 6) . "\n");
    my $out = `dash $dir/run.sh 2>$dir/err`;
    my $rc = $? >> 8;
    return { rc => $rc, out => $out, err => slurp("$dir/err"),
        log => slurp("$state/log") };
}

# ---- the cases ----------------------------------------------------------------

{
    my $r = upgrade(active => 0);
    is($r->{rc}, 0, 'not running: exit 0');
    unlike($r->{log}, qr/kill|restart/, '... no signal, no restart (debhelper'
        . ' starts it)');
}

{
    my $old = master();
    my $r = upgrade();
    is($r->{rc}, 0, 'running: exit 0');
    like($r->{log}, qr/^systemctl kill --kill-whom=main -s USR2 featcgi.service$/m,
        '... SIGUSR2 to the main process');
    unlike($r->{log}, qr/deb-systemd-invoke/, '... no restart');
    my $new = slurp("$state/mainpid") =~ s/\s+//gr;
    like($r->{out}, qr/upgraded in place: master $old handed over to $new/,
        '... and it says so');
    ok(!kill(0, $old), '... the old master gone');
    push @masters, $new;
}

{
    my $old = master();
    my $r = upgrade(mode => 'serve');
    is($r->{rc}, 0, 'the hand-over does not come: exit 0');
    like($r->{log}, qr/-s USR2/, '... after SIGUSR2');
    like($r->{log}, qr/^deb-systemd-invoke restart featcgi.service$/m,
        '... a restart');
    like($r->{err}, qr/did not complete .* restarting/, '... said');
}

{
    my $old = master();
    my $r = upgrade(mode => 'serve', check_fails => 1);
    isnt($r->{rc}, 0, 'the new binary refuses the config: the postinst fails');
    unlike($r->{log}, qr/deb-systemd-invoke/, '... no restart');
    like($r->{err}, qr/refuses .* old one serves on/, '... said');
    ok(kill(0, $old), '... the old master serves on');
}

{
    my $old = master();
    my $r = upgrade(mode => 'die', wait => 40);
    is($r->{rc}, 0, 'the unit fails during the hand-over: exit 0');
    like($r->{log}, qr/^deb-systemd-invoke restart featcgi.service$/m,
        '... restarted');
    my $waits = () = $r->{log} =~ /show -p MainPID/g;
    cmp_ok($waits, '<', 10, '... at once, not after the whole wait');
}

for my $case ([ "listen = x.sock\n", 'no pid_file' ],
              [ "pid_file = /var/run/other.pid\n", 'another pid_file' ]) {
    my $old = master();
    my $r = upgrade(conf => $case->[0]);
    is($r->{rc}, 0, "$case->[1]: exit 0");
    unlike($r->{log}, qr/-s USR2/, '... no SIGUSR2 (systemd could not follow'
        . ' the new master)');
    like($r->{log}, qr/^deb-systemd-invoke restart featcgi.service$/m,
        '... a restart');
    like($r->{err}, qr/no upgrade in place/, '... said');
}

# the masters this test started that still run, by their pids
kill('KILL', grep { kill(0, $_) } @masters);
done_testing;

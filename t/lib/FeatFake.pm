package FeatFake;

# t/lib/FeatFake.pm: what the fakes of outside services (t/fake/*.pl) and
# the tests that run them share.
#
# A fake's side: FeatFake::listen_and_serve() is the server every fake is,
# on 127.0.0.1 only: it prints its port on the first line of stdout, exits
# by itself after --ttl seconds or on SIGTERM/SIGINT, and serves each
# connection in a child process, so a deliberately slow answer holds up
# nobody else.  read_head()/read_request() read one HTTP request with the
# bounds every fake keeps (16 KiB of head, 64 KiB of body), answer() writes
# the reply, and record() appends one JSON line to the fake's --log.
#
# A test's side: FeatFake::start() runs t/fake/SCRIPT and answers its pid
# and port; stop() ends one, and every fake still running is stopped at the
# end of the test file.
#
#     my ($pid, $port) = FeatFake::start('sms-gateway.pl', 120, '--log', $log);
#     ...
#     FeatFake::stop($pid);

use strict;
use warnings;

use Carp qw(croak);
use Exporter qw(import);
use FindBin;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(_exit WNOHANG);
use Time::HiRes qw(sleep);


our @EXPORT_OK = qw(answer);


# ---- a fake's side ----------------------------------------------------------

# Listens on 127.0.0.1:$port (0: any free port), prints the port, and
# serves forever: $serve->($socket) in a child per connection, the child
# killed by its own alarm after $child_alarm seconds.  $child_setup, when
# given, runs first in each child.  Never returns.
sub listen_and_serve {
    my (%a) = @_;
    my $listen = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1',
        LocalPort => $a{port},
        Proto     => 'tcp',
        Listen    => 64,
        ReuseAddr => 1,
    ) or die "$0: listen: $@\n";

    # The fake and the children serving its connections are one process
    # group, ended together: a child serving a kept-alive connection would
    # otherwise outlive the fake, holding the test's output open (prove
    # then waits for it).
    my $leader = $$;
    setpgrp(0, 0);
    $SIG{CHLD} = 'IGNORE';
    $SIG{TERM} = $SIG{INT} = $SIG{ALRM} = sub {
        kill('TERM', -$leader) if $$ == $leader;
        _exit(0);
    };
    alarm $a{ttl};

    $| = 1;
    print $listen->sockport, "\n";

    while (1) {
        my $c = $listen->accept or next;
        my $pid = fork;

        if (!defined $pid) {
            close $c;
            next;
        }

        if ($pid == 0) {
            close $listen;
            $a{child_setup}->() if $a{child_setup};
            # a child never outlives a stuck client by much
            alarm $a{child_alarm};
            $a{serve}->($c);
            close $c;
            _exit(0);
        }

        close $c;
    }
}


# Reads up to the end of an HTTP head: the bytes read (the head and maybe
# the start of the body), or undef when the client went away or after
# $refuse->(431) for a head over 16 KiB.
sub read_head {
    my ($c, $refuse) = @_;
    my $buf = '';

    while ($buf !~ /\r\n\r\n/) {
        my $n = sysread $c, $buf, 4096, length $buf;
        return undef unless $n;
        if (length $buf > 16384) {
            $refuse->(431);
            return undef;
        }
    }

    return $buf;
}


# Reads one HTTP request with a body of its Content-Length (at most
# 64 KiB): ($method, \%headers with lower-case names, $body, $target), or () when
# the client went away or after $refuse->(STATUS) for 431, 411 or 413.
sub read_request {
    my ($c, $refuse) = @_;
    my $buf = read_head($c, $refuse);

    return () unless defined $buf;

    my ($head, $body) = split /\r\n\r\n/, $buf, 2;
    my ($line, @lines) = split /\r\n/, $head;
    my ($method, $target) = split / /, $line;
    my %h;

    for (@lines) {
        my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
        $h{lc $k} = $v;
    }

    my $len = $h{'content-length'} // 0;

    if ($len !~ /^\d+$/) {
        $refuse->(411);
        return ();
    }
    if ($len > 65536) {
        $refuse->(413);
        return ();
    }

    while (length $body < $len) {
        my $n = sysread $c, $body, $len - length $body, length $body;
        return () unless $n;
    }

    return ($method, \%h, $body, $target);
}


my %reason = (200 => 'OK', 400 => 'Bad Request', 401 => 'Unauthorized',
              404 => 'Not Found', 405 => 'Method Not Allowed',
              411 => 'Length Required', 413 => 'Payload Too Large',
              431 => 'Request Header Fields Too Large',
              500 => 'Internal Server Error');

# Writes a whole HTTP reply and asks to close; $text as UTF-8 bytes.
# Answers nothing, so "return answer(...)" ends a serve.
sub answer {
    my ($c, $status, $type, $text) = @_;

    utf8::encode($text) if utf8::is_utf8($text);
    syswrite $c, "HTTP/1.1 $status " . ($reason{$status} // 'Status')
        . "\r\nContent-Type: $type\r\n"
        . "Content-Length: " . length($text) . "\r\n"
        . "Connection: close\r\n\r\n$text";
    return;
}


# Appends $rec to $log (nothing when undef) as one line in one write to a
# file opened for appending: children never interleave their lines.  With
# $utf8 the line is UTF-8 encoded (for records holding decoded text).
sub record {
    my ($log, $rec, $utf8) = @_;
    my $json = JSON::PP->new->canonical;

    return unless defined $log;
    $json->utf8 if $utf8;
    open my $fh, '>>', $log or die "$0: $log: $!\n";
    syswrite $fh, $json->encode($rec) . "\n";
    close $fh;
}


# ---- a test's side ----------------------------------------------------------

my @fakes;

# Starts t/fake/SCRIPT with --ttl $ttl and @args: (pid, port).
sub start {
    my ($script, $ttl, @args) = @_;
    # a .py fake runs under the system's python3, which has the Debian
    # packages (t/fake/apns.py: python3-h2), whatever PATH puts first
    my $interp = $script !~ /\.py$/ ? $^X
               : -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
    my $pid = open(my $out, '-|', $interp, "$FindBin::Bin/fake/$script",
                   '--ttl', $ttl, @args)
        or croak("cannot start $script: $!");
    my $port = <$out>;

    croak("$script did not start") if !defined $port || $port !~ /^\d+$/;
    chomp $port;
    push @fakes, [ $pid, $out ];
    return ($pid, $port);
}

# Stops the fake $pid started here: TERM, then up to 5 s for it to go.
# close() of a pipe sets $?, which in an END block is the exit status.
sub stop {
    my ($pid) = @_;
    local $?;

    for my $f (@fakes) {
        next unless $f->[0] && $f->[0] == $pid;
        kill('TERM', $pid);
        for (1 .. 50) {
            last if waitpid($pid, WNOHANG) == $pid;
            sleep(0.1);
        }
        close($f->[1]);
        $f->[0] = 0;
    }
}

END {
    for my $f (@fakes) {
        stop($f->[0]) if $f->[0];
    }
}

1;

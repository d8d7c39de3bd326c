#!/usr/bin/perl
# t/fake/smtp.pl: a minimal SMTP server for the tests.
#
# Enough of RFC 5321 for a client such as libcurl: EHLO/HELO, MAIL FROM,
# RCPT TO, DATA (with dot-unstuffing), RSET, NOOP, QUIT.  No TLS and no
# AUTH.  Listens on 127.0.0.1 only, prints its port on the first line of
# stdout, and exits by itself after --ttl seconds or on SIGTERM/SIGINT.
# Each connection is served by a child process.
#
#   smtp.pl [--port N] [--ttl S] [--log FILE] [--reject TEXT ...]
#           [--mode ok|tempfail|down]
#
# --reject: a recipient containing TEXT is refused with 550 at RCPT TO.
# --mode tempfail answers 451 at the end of DATA; down answers 421 at once.
# Every message accepted is appended to --log as one JSON line:
# {"time","helo","from","to":[...],"data"} with data as received, after
# dot-unstuffing, CRLF line ends kept.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use FeatFake;
use Getopt::Long qw(GetOptions);

my %opt = (port => 0, ttl => 300, mode => 'ok');
my @reject;

GetOptions(\%opt, 'port=i', 'ttl=i', 'log=s', 'mode=s',
           'reject=s' => \@reject)
    or die "usage: $0 [--port N] [--ttl S] [--log FILE] [--reject TEXT] "
         . "[--mode ok|tempfail|down]\n";

die "$0: unknown mode $opt{mode}\n"
    unless $opt{mode} =~ /^(?:ok|tempfail|down)$/;

FeatFake::listen_and_serve(port => $opt{port}, ttl => $opt{ttl},
                           child_alarm => 60, serve => \&serve);


sub serve {
    my ($c) = @_;
    my ($helo, $from, @to) = ('');
    my $in = '';

    # one CRLF-terminated line, at most 4096 bytes; undef at EOF
    my $getline = sub {
        while ($in !~ /\r?\n/) {
            return undef if length $in > 4096;
            my $n = sysread $c, $in, 4096, length $in;
            return undef unless $n;
        }
        $in =~ s/^(.*?)\r?\n//s;
        return $1;
    };
    my $say = sub { syswrite $c, "$_[0]\r\n" };

    if ($opt{mode} eq 'down') {
        $say->('421 fake-smtp service not available');
        return;
    }

    $say->('220 fake-smtp ESMTP ready');

    while (defined(my $line = $getline->())) {
        if ($line =~ /^EHLO\s+(\S+)/i) {
            $helo = $1;
            $say->("250-fake-smtp greets $helo");
            $say->('250-8BITMIME');
            $say->('250 SIZE 1048576');

        } elsif ($line =~ /^HELO\s+(\S+)/i) {
            $helo = $1;
            $say->('250 fake-smtp');

        } elsif ($line =~ /^MAIL FROM:\s*<([^>]*)>/i) {
            ($from, @to) = ($1);
            $say->('250 2.1.0 sender ok');

        } elsif ($line =~ /^RCPT TO:\s*<([^>]*)>/i) {
            my $rcpt = $1;

            if (!defined $from) {
                $say->('503 5.5.1 MAIL first');
            } elsif (grep { index($rcpt, $_) >= 0 } @reject) {
                $say->('550 5.1.1 no such user');
            } else {
                push @to, $rcpt;
                $say->('250 2.1.5 recipient ok');
            }

        } elsif ($line =~ /^DATA\b/i) {
            if (!@to) {
                $say->('503 5.5.1 RCPT first');
                next;
            }

            $say->('354 end with <CRLF>.<CRLF>');

            my $data = '';
            while (1) {
                my $l = $getline->();
                return unless defined $l;
                last if $l eq '.';
                $l =~ s/^\.//;
                $data .= "$l\r\n";
                if (length $data > 1048576) {
                    $say->('552 5.3.4 message too big');
                    return;
                }
            }

            if ($opt{mode} eq 'tempfail') {
                $say->('451 4.3.0 try again later');
            } else {
                FeatFake::record($opt{log}, { time => time, helo => $helo,
                                              from => $from, to => [@to],
                                              data => $data });
                $say->('250 2.0.0 queued');
            }
            ($from, @to) = ();

        } elsif ($line =~ /^RSET\b/i) {
            ($from, @to) = ();
            $say->('250 2.0.0 ok');

        } elsif ($line =~ /^NOOP\b/i) {
            $say->('250 2.0.0 ok');

        } elsif ($line =~ /^QUIT\b/i) {
            $say->('221 2.0.0 bye');
            return;

        } else {
            $say->('502 5.5.2 command not implemented');
        }
    }
}


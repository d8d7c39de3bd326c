#!/usr/bin/perl

# 00-fuzz-replay.t: builds the fuzz targets of t/fuzz/ as replay binaries
# (t/fuzz/build --replay: a small main() in place of libFuzzer, ASan and
# UBSan kept) with the compiler the build used, into a temp dir, and runs
# each over its whole corpus (t/fuzz/corpus/<target>/).  Any crash,
# non-zero exit or sanitizer report fails the target's test, so an input
# that once crashed stays fixed.

use strict;
use warnings;

use lib 't/lib';
use File::Temp qw(tempdir);
use FeatTest qw(builddir);
use Test::More;

my $src = FeatTest::srcdir();
my $build = builddir();

# The compiler of the build: CC in its Makefile, else the environment's.
my $cc = $ENV{CC};
if (open(my $mk, '<', "$build/Makefile")) {
    while (<$mk>) {
        if (/^CC\s*=\s*(.+?)\s*$/) {
            $cc = $1;
            last;
        }
    }
    close($mk);
}
$cc //= 'cc';

my @targets = sort map { s{.*/fuzz-(.*)\.c$}{$1}r }
    glob("$src/t/fuzz/fuzz-*.c");
BAIL_OUT("no fuzz targets under $src/t/fuzz") if !@targets;

my $out = tempdir('feat-fuzz-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $log = "$out/build.log";

{
    local $ENV{CC} = $cc;
    local $ENV{FEAT_BUILDDIR} = $build;
    local $ENV{CFLAGS};

    my $rc = system("'$src/t/fuzz/build' --replay '$out' >'$log' 2>&1");
    ok($rc == 0, "t/fuzz/build --replay with CC=$cc")
        or diag(do { local (@ARGV, $/) = ($log); <> });
    BAIL_OUT('the replay binaries do not build') if $rc != 0;
}

for my $t (@targets) {
    my $bin = "$out/fuzz-$t";
    my $corpus = "$src/t/fuzz/corpus/$t";

    if (!-d $corpus) {
        fail("fuzz-$t: no corpus in t/fuzz/corpus/$t");
        next;
    }

    my @inputs = grep { -f } glob("$corpus/*");
    my $report = "$out/$t.out";
    local $ENV{ASAN_OPTIONS} = 'detect_leaks=1:abort_on_error=0';
    local $ENV{UBSAN_OPTIONS} = 'print_stacktrace=1:halt_on_error=1';
    my $rc = system("'$bin' '$corpus' >'$report' 2>&1");
    my $text = do { local (@ARGV, $/) = ($report); <> } // '';

    ok($rc == 0 && $text !~ /ERROR: \w+Sanitizer|runtime error:/,
        "fuzz-$t replays its " . scalar(@inputs) . ' corpus inputs cleanly')
        or diag($text);
    like($text, qr/\b@{[ scalar @inputs ]} inputs replayed/,
        "... every input was run");
}

done_testing;

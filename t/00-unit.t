#!/usr/bin/perl

# 00-unit.t: runs each C unit test binary ($FEAT_BUILDDIR/t/unit/*-test)
# and passes its TAP through as one subtest per binary; the binary's exit
# status (a sanitizer report makes it non-zero) is a test of its own.

use strict;
use warnings;

use lib 't/lib';
use FeatTest qw(builddir);
use TAP::Parser;
use Test::More;

my $build = builddir();
my $src = FeatTest::srcdir();

# One binary per t/unit/*-test.c of the source: a missing one (not built,
# "make check" not run) fails, never skips.
my @names = sort map { s{.*/}{}r =~ s{\.c$}{}r } glob("$src/t/unit/*-test.c");
ok(@names > 0, "unit test sources in $src/t/unit");

for my $name (@names) {
    my $bin = "$build/t/unit/$name";

    if (!-x $bin) {
        fail("$name is built in $build (make check)");
        next;
    }

    subtest $name => sub {
        my $p = TAP::Parser->new({ exec => [$bin], merge => 1 });
        my ($n, @other) = (0);

        while (my $r = $p->next) {
            if ($r->is_test) {
                $n++;
                my $desc = $r->description =~ s/^-\s*//r;
                if ($r->has_skip) {
                    SKIP: { skip($r->explanation, 1) }
                } elsif ($r->has_todo) {
                    TODO: {
                        local $TODO = $r->explanation;
                        ok($r->is_actual_ok, $desc);
                    }
                } else {
                    ok($r->is_actual_ok, $desc);
                }
            } elsif ($r->is_bailout) {
                fail("bail out: " . $r->explanation);
            } elsif (!$r->is_plan) {
                # Comments and anything else the binary printed (a
                # sanitizer report goes to stderr, merged here).
                push @other, $r->as_string;
            }
        }
        my $ok = ok($p->exit == 0 && !$p->wait, "$name exited 0");
        $ok = ok(!$p->parse_errors, "$name printed valid TAP") && $ok;
        diag(join("\n", "exit " . $p->exit . ", wait " . $p->wait,
            $p->parse_errors, @other)) if !$ok;
        ok($n > 0, "$name ran tests");
    };
}

done_testing;

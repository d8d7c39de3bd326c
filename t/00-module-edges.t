#!/usr/bin/perl

# 00-module-edges.t: a module stands on the runtime and accounts only
# (ARCHITECTURE, "Folders"): what two modules share moves down into fcgi/
# or accounts, and a module serves its own domain in every dialect that
# exposes it (the console's FAQ is modules/faq/admin.c).  Two checks:
#
# - the sources: no file of modules/<m>/ includes a header of another
#   module's folder but accounts' ("faq/faq.h", "../faq/faq.h");
# - the build: no object of modules/<m>/ uses a feat_ symbol that another
#   module's objects define, but accounts' (an extern written by hand is
#   an edge too).
#
# featctl (tools/) calls the modules' domain functions, and the runtime's
# process/modules.c names the modules: neither is a module, neither is
# checked.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use Test::More;

my $src = FeatTest::srcdir();
my $build = FeatTest::builddir();

# The folders of modules/: a name there is a module.
opendir(my $dh, "$src/modules") or die "$src/modules: $!";
my %module = map { $_ => 1 } grep { !/^\./ && -d "$src/modules/$_" }
    readdir($dh);
closedir($dh);
ok(keys %module > 5, 'modules/ has its folders (' . join(' ',
    sort keys %module) . ')');

# ---- includes ----------------------------------------------------------------

my @files = sort glob("$src/modules/*/*.[ch]");
ok(@files > 20, 'the modules\' sources (' . scalar(@files) . ' files)');

my @bad;
for my $f (@files) {
    my ($own) = $f =~ m{/modules/([^/]+)/[^/]+$};
    open(my $fh, '<', $f) or die "$f: $!";
    while (my $l = <$fh>) {
        next if $l !~ /^\s*#\s*include\s*["<]([^">]+)[">]/;
        my $inc = $1;
        my @path = grep { $_ ne '..' && $_ ne '.' } split m{/}, $inc;
        next if @path < 2;
        my $other = $path[0];
        next if !$module{$other} || $other eq $own || $other eq 'accounts';
        (my $rel = $f) =~ s{^\Q$src\E/}{};
        push @bad, "$rel:$.: $inc";
    }
    close($fh);
}
is("@bad", '', 'no module includes another module\'s header but accounts\'')
    or diag(join "\n", map { "  $_" } @bad);

# ---- symbols -----------------------------------------------------------------

# The objects of libfeat.a as the build's Makefile lists them.
my @objs = FeatTest::libfeat_objects();

my (%def, %uses);
for my $obj (map { "$build/$_" } @objs) {
    my ($m) = $obj =~ m{/modules/([^/]+)/[^/]+\.o$} or next;
    for (`nm '$obj'`) {
        if (/^[0-9a-f]+ [TDBRC] (feat_\w+)$/) {
            $def{$1} = $m;
        } elsif (/^\s+U (feat_\w+)$/) {
            $uses{$m}{$1} = 1;
        }
    }
}
ok(keys %uses > 5, 'nm read the modules\' objects');

@bad = ();
for my $m (sort keys %uses) {
    for my $sym (sort keys %{ $uses{$m} }) {
        my $in = $def{$sym} // next;    # the runtime's, or a library's
        next if $in eq $m || $in eq 'accounts';
        push @bad, "$m uses $sym of $in";
    }
}
is("@bad", '', 'no module uses another module\'s symbols but accounts\'')
    or diag(join "\n", map { "  $_" } @bad);

done_testing();

#!/usr/bin/perl

# 00-man-routes.t: every route of the merged route table ("featcgi -R")
# has its entry in the featcgi-api(7) fragments (man/api/*.mdoc): a .Ss
# or ".It Sy" line naming its method and its path, so a route cannot ship
# undocumented.  Path parameters compare by position only ("{pk}" and
# "Ns Ar pk" alike); a query string in the heading is ignored.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new(-no_start => 1);
my $src = FeatTest::srcdir();
my $bin = FeatTest::builddir() . '/featcgi';

my @routes = map { [ split ' ' ] }
    grep { /^[A-Z]+ \// } split /\n/, `'$bin' -c '${\ $t->conf_file}' -R`;
ok(@routes > 50, 'featcgi -R lists the routes (' . scalar(@routes) . ')');

# "METHOD PATH" => 1 for every heading of the fragments
my %doc;
for my $f (glob("$src/man/api/*.mdoc")) {
    open(my $fh, '<:encoding(UTF-8)', $f) or die "$f: $!";
    while (my $l = <$fh>) {
        next if $l !~ /^\.(?:Ss|It Sy) ((?:[A-Z]+, )*[A-Z]+) (\/.*)$/;
        my ($methods, $rest) = ($1, $2);
        $rest =~ s/ Ns Ar \w+(?: Ns Sy (\S+))?/'{}' . ($1 \/\/ '')/ge;
        $rest =~ s/\{\w+\}/{}/g;
        my ($path) = $rest =~ m{^(\S+)};
        $path =~ s/\?.*//;
        $doc{"$_ $path"} = 1 for split /, /, $methods;
    }
    close($fh);
}

for my $r (@routes) {
    my ($method, $path) = @$r;
    (my $norm = $path) =~ s/\{\w+\}/{}/g;
    ok($doc{"$method $norm"}, "$method $path is in featcgi-api(7)");
}

$t->stop;
done_testing;

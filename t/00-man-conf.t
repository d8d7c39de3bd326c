#!/usr/bin/perl

# 00-man-conf.t: every config option ("featcgi -C": the runtime's and
# every module's) has its entry in featcgi.conf(5), an ".It Cm key No ="
# line whose "(default ...)" is the option's default, and is named in
# HACKING.md's config table; and the page documents no key that featcgi
# does not know.  The options are declared once, in code; the docs follow.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use Test::More;

my $src = FeatTest::srcdir();
my $bin = FeatTest::builddir() . '/featcgi';

my @opts = map { [ split /\t/, $_, -1 ] } split /\n/, `'$bin' -C`;
is($?, 0, 'featcgi -C exits 0');
ok(@opts > 60, 'featcgi -C lists the options (' . scalar(@opts) . ')');

my %known = map { $_->[0] => $_ } @opts;
is(scalar(keys %known), scalar(@opts), 'no key listed twice');

# key => the default as the page writes it
my %man;
open(my $fh, '<:encoding(UTF-8)', "$src/man/featcgi.conf.5")
    or die "featcgi.conf.5: $!";
while (my $l = <$fh>) {
    next if $l !~ /^\.It Cm (\S+) No = .*\bPq (.*)$/;
    my ($key, $pq) = ($1, $2);
    $pq =~ s/^default //;
    $pq =~ s/^(?:Pa|Dq|Lk|Ql|Li) //;
    $man{$key} = $pq;
}
close($fh);

open($fh, '<:encoding(UTF-8)', "$src/HACKING.md") or die "HACKING.md: $!";
my $hacking = do { local $/; <$fh> };
close($fh);
my ($table) = $hacking =~ /^## Config\b(.*?)^## /ms;
ok(defined $table, 'HACKING.md has a Config section');
$table //= '';

for my $o (@opts) {
    my ($key, $kind, $def) = @$o;
    my $want = $key eq 'secret' ? 'required' : $def eq '' ? 'empty' : $def;

    ok(exists $man{$key}, "$key is in featcgi.conf(5)")
        and is($man{$key}, $want, "$key: featcgi.conf(5) gives its default");
    like($table, qr/(?:^|[\s|\/])\Q$key\E(?=[\s|\/])/m,
         "$key is in HACKING.md's config table");
}

for my $key (sort keys %man) {
    ok($known{$key}, "featcgi.conf(5)'s $key is an option featcgi knows");
}

done_testing;

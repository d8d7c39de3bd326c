#!/usr/bin/perl

# 00-layers.t: the runtime's rooms call only downwards.  fcgi/ is split into
# core (arena, config, log, time), crypto, store, client, media, protocol and
# process; each room may use the rooms below it and nothing above, so that a
# reader (and the linker) can take the layers one at a time.  The check reads
# the build's object files with nm: every feat_ symbol a room's objects use
# must be defined in the room itself or in a room it may use.  Modules are
# above the whole runtime, and only process/modules.c names them.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use Test::More;

my $build = FeatTest::builddir();

# room => rooms it may use (besides itself)
my %may = (
    core     => [],
    crypto   => [qw(core)],
    store    => [qw(core)],
    client   => [qw(core)],
    media    => [qw(core crypto)],
    protocol => [qw(core crypto store client media)],
    process  => [qw(core crypto store client media protocol modules)],
);

# The objects of libfeat.a as the build's Makefile lists them.
my @objs = FeatTest::libfeat_objects();
push @objs, 'fcgi/store/migrations.o';

my (%def, %uses);
for my $obj (map { "$build/$_" } @objs) {
    my ($top, $room) = $obj =~ m{/(fcgi|modules)/([^/]+)/[^/]+\.o$} or next;
    $room = 'modules' if $top eq 'modules';
    for (`nm '$obj'`) {
        if (/^[0-9a-f]+ [TDBRC] (feat_\w+)$/) {
            $def{$1} = $room;
        } elsif (/^\s+U (feat_\w+)$/ && $top eq 'fcgi') {
            $uses{$room}{$1} = 1;
        }
    }
}

ok(keys %def > 100, 'nm read the objects (' . scalar(keys %def)
    . ' feat_ symbols defined)');

for my $room (sort keys %may) {
    my %ok = map { $_ => 1 } $room, @{ $may{$room} };
    my @bad = sort grep { !$ok{ $def{$_} // '?' } } keys %{ $uses{$room} };
    ok(exists $uses{$room}, "room $room has objects");
    is("@bad", '', "$room uses only " . join(' ', sort keys %ok))
        or diag(join "\n", map { "  $_ is in " . ($def{$_} // '?') } @bad);
}

done_testing();

#!/usr/bin/perl

# 20-featctl-migrate-check.t: featctl db migrate --check (issue 14,
# "Upgrades"; featctl(8)): each pending migration judged online-safe when
# it only adds (tables, indexes, triggers, columns, rows of new tables),
# exit 0 when all are and 1 otherwise, and nothing applied either way.
# Migrations are made pending by forgetting their schema_version rows:
# 0040 and 0070 only add; 0043 drops columns, 0049 rebuilds push (UPDATE
# sqlite_sequence, DROP, RENAME), 0130 edits sqlite_schema.  Runs without
# a pool: featctl alone.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use Test::More;

my $t = FeatTest->new(-no_start => 1);
my $J = FeatTest::json();
my ($rc, $out, $err, $j);

sub versions {
    return join(',', map { $_->{version} } @{ $t->db_rows(
        'SELECT version FROM schema_version ORDER BY version') });
}

($rc, $out, $err) = $t->featctl('db', 'migrate', '--check');
is($rc, 0, 'nothing pending: exit 0') or diag($err);
like($out, qr/^no pending migrations$/m, '... says so');

my $all = versions();
$t->dbh->do('DELETE FROM schema_version WHERE version IN (40, 70)');

($rc, $out, $err) = $t->featctl('db', 'migrate', '--check');
is($rc, 0, '0040 and 0070 pending: exit 0') or diag($err);
like($out, qr/^0040_images: online-safe$/m, '... 0040 online-safe');
like($out, qr/^0070_outbox: online-safe$/m, '... 0070 online-safe');
like($out, qr/2 pending migrations, all online-safe/, '... summed up');
is(versions(), join(',', grep { $_ != 40 && $_ != 70 } split(/,/, $all)),
    '... nothing applied');

$t->dbh->do('DELETE FROM schema_version WHERE version IN (43, 49, 130)');
($rc, $out, $err) = $t->featctl('--json', 'db', 'migrate', '--check');
is($rc, 1, 'with 0043, 0049 and 0130 pending: exit 1');
$j = eval { $J->decode($out) } // {};
is($j->{pending}, 5, '... 5 pending');
is($j->{unsafe}, 3, '... 3 not online-safe');
my %m = map { $_->{version} => $_ } @{ $j->{migrations} // [] };
ok($m{40}{online_safe} && $m{70}{online_safe}, '... 0040, 0070 safe');
ok(!$m{43}{online_safe}, '... 0043 not');
like($m{43}{statement}, qr/^ALTER TABLE apps DROP COLUMN/,
    '... for its DROP COLUMN');
ok(!$m{49}{online_safe}, '... 0049 not');
like($m{49}{statement}, qr/^UPDATE sqlite_sequence/,
    '... for its UPDATE (the rebuild)');
ok(!$m{130}{online_safe}, '... 0130 not');
like($m{130}{statement}, qr/^PRAGMA writable_schema/,
    '... for its schema edit');
is(versions(), join(',', grep { !/^(40|43|49|70|130)$/ } split(/,/, $all)),
    '... nothing applied');

($rc, $out, $err) = $t->featctl('db', 'migrate', '--check', 'x');
is($rc, 2, 'a stray word: exit 2');

# the migrations really are pending: a plain migrate would apply them (here
# they are applied again on tables that exist, so only ask for --check)
($rc, $out, $err) = $t->featctl('db', 'migrate', '--check');
like($out, qr/0130_check_lists: NOT online-safe: PRAGMA/,
    'the people\'s form names the statement');

done_testing;

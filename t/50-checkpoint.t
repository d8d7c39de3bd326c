#!/usr/bin/perl

# 50-checkpoint.t: the WAL stays bounded under API writes.  A pool child
# turns SQLite's autocheckpoint into a note of the WAL's size and runs
# the checkpoint itself once its answer is sent, behind the write gate
# (fcgi/store/gate.c): were that checkpoint never run, the WAL would grow
# by every write.  Writes 700 feedbacks of 6 kB, some 1,400 WAL frames and
# more, each answered and stored, and finds the WAL file under 1,500
# pages all along.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatTest;
use Test::More;

my $t = FeatTest->new;
my $u = FeatAdmin::user($t, '13500000007');
my $page = $t->db_value('PRAGMA page_size');
my $wal = "$t->{conf}{database}-wal";

# 2,000 characters of three bytes: two pages of overflow a row at least
my $content = '反' x 2000;
my $writes = 700;
my ($ok, $max) = (0, 0);

for my $i (1 .. $writes) {
    my $j = FeatAdmin::api($t, $u, 'POST', '/api/feedback',
        { feedback_content => $content, contact_phone => undef });
    $ok++ if ($j->{code} // -1) == 0;
    my $size = -s $wal // 0;
    $max = $size if $size > $max;
}

is($ok, $writes, "$writes feedback posts answered 0");
is($t->db_value('SELECT count(*) FROM feedback WHERE user_id = ?', $u->{id}),
    $writes, '... and stored');
# each commit writes its row's leaf and overflow pages to the WAL at least:
# twice the rows' count of frames, beyond the 1,500 the WAL is held under
cmp_ok($t->db_value('PRAGMA page_count'), '>', 1000,
    '... a database of over 1,000 pages');
cmp_ok(-s $t->{conf}{database}, '>', 1000 * $page,
    '... copied into the database file by checkpoints');
cmp_ok($max, '<', 1500 * ($page + 24),
    'the WAL file stayed under 1,500 pages: checkpointed as it grew')
    or diag("largest WAL: $max bytes, page $page");

done_testing();

#!/usr/bin/perl

# t/20-featctl-project.t: featctl's "project" commands over the service
# marketplace: list (--status by number or name, --app, paging), show,
# cancel (a moderator's takedown of an OPEN or CLOSED project, with its
# pushes to the bidders), and approve / reject of a project under review
# (the app's service.review setting), each checked by its effect through
# the API and on the rows.  Bad input exits 1 with "featctl: <reason>" and
# nothing on stdout, a bad command line 2; --json output parses and people
# get a table.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Encode ();
use FeatAdmin;
use FeatTest;
use Test::More;

binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);
my $P = '/api/service/project/';

sub fails {
    my ($want, $re, @args) = @_;
    my ($rc, $out, $err) = $t->featctl(@args);

    is($rc, $want, "featctl @args: exit $want");
    like($err, qr/^featctl: .*(?:$re)/m, "... says why") if defined $re;
    is($out, '', '... nothing on stdout') if $want == 1;
}

sub ok_ctl { return FeatAdmin::ctl_ok($t, @_) }
sub api { return FeatAdmin::api($t, @_) }

sub iso {
    my ($tt) = @_;
    my @g = gmtime($tt + 8 * 3600);

    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d+08:00', $g[5] + 1900,
        $g[4] + 1, @g[3, 2, 1, 0]);
}

is((FeatAdmin::ctl($t, 'app', 'add', 'shop'))[0], 0, 'app shop added');

my $a = FeatAdmin::user($t, '13900000001');
my $b = FeatAdmin::user($t, '13900000002');
my $s = FeatAdmin::user($t, '13900000003', 'shop');

my $k = 0;
sub project {
    my ($u, $publish) = @_;
    $k++;
    my $j = api($u, 'POST', $P, { title => "项目 $k", description => 'd',
        budget_fen => 100 * $k, close_at => iso(time + 86400) });
    die "create: $j->{http}" if $j->{http} != 201;
    if ($publish) {
        my $p = api($u, 'POST', "$P$j->{data}{id}/publish/");
        die "publish: $p->{http}" if $p->{http} != 200;
    }
    return $j->{data}{id};
}

my $draft = project($a, 0);
my $open = project($a, 1);
my $shop = project($s, 1);
my $bid = api($b, 'POST', "$P$open/bids/", { price_fen => 50 });
is($bid->{http}, 201, 'a bid on the OPEN one');

# ---- list -----------------------------------------------------------------

my $l = ok_ctl('project', 'list');
is_deeply([ map { $_->{id} } @$l ], [ $open, $draft ],
    'project list: the default app\'s projects, newest first');
is($l->[0]{status}, 200, '... with status');
is($l->[0]{status_display}, '已发布', '... and its name');
is($l->[0]{bids_count}, 1, '... and bids_count');
is($l->[1]{owner_id}, $a->{id}, '... and owner_id');
$l = ok_ctl('project', 'list', '--status', '0');
is_deeply([ map { $_->{id} } @$l ], [ $draft ], '--status 0: the DRAFT');
$l = ok_ctl('project', 'list', '--status', 'open');
is_deeply([ map { $_->{id} } @$l ], [ $open ], '--status open: the OPEN');
$l = ok_ctl('project', 'list', '--app', 'shop');
is_deeply([ map { $_->{id} } @$l ], [ $shop ], '--app shop: only shop\'s');
$l = ok_ctl('project', 'list', '--limit', '1', '--offset', '1');
is_deeply([ map { $_->{id} } @$l ], [ $draft ], '--limit 1 --offset 1');
{
    my ($rc, $out, $err) = $t->featctl('project', 'list');
    is($rc, 0, 'project list for people: exit 0');
    like($out, qr/^ID\s+STATUS\s+NAME\s+TITLE/m, '... a table with headings');
    like(Encode::decode_utf8($out), qr/项目 2/, "... and the rows");
}
fails(1, 'bad --status', 'project', 'list', '--status', '250');
fails(1, 'bad --status', 'project', 'list', '--status', 'open-ish');
fails(1, 'app', 'project', 'list', '--app', 'nosuch');
fails(2, undef, 'project', 'list', 'extra');

# ---- show -----------------------------------------------------------------

my $o = ok_ctl('project', 'show', $open);
is($o->{id}, $open, 'project show: the project');
is($o->{title}, '项目 2', '... title');
is($o->{app_id}, '', '... app_id');
ok(exists $o->{review_note} && !defined $o->{review_note},
    '... review_note null');
$o = ok_ctl('project', 'show', $draft);
is($o->{status}, 0, "project show sees another's DRAFT (the moderator)");
fails(1, 'not found', 'project', 'show', $shop);
$o = ok_ctl('project', 'show', $shop, '--app', 'shop');
is($o->{app_id}, 'shop', 'project show --app shop');
fails(1, 'bad project id', 'project', 'show', 'x');
fails(2, undef, 'project', 'show');

# ---- cancel: the moderator's takedown -------------------------------------

my $last = $t->db_value('SELECT coalesce(max(id), 0) FROM push');
$o = ok_ctl('project', 'cancel', $open);
is($o->{status}, 500, 'project cancel of an OPEN project: CANCELLED');
ok($o->{cancelled_at}, '... cancelled_at');
is($t->db_value('SELECT status FROM service_project WHERE id = ?', $open),
    500, '... stored');
is_deeply([ map { $_->{user_id} } @{ $t->db_rows('SELECT t.user_id FROM'
    . ' push p JOIN push_target t ON t.push_id = p.id WHERE p.id > ?',
    $last) } ], [ $b->{id} ], '... the bidder gets a push');
my $j = api($a, 'GET', "$P$open/");
is($j->{data}{status}, 500, '... the owner sees it CANCELLED');
is_deeply($j->{data}{actions}, [], '... with no actions');
fails(1, 'not allowed', 'project', 'cancel', $open);
fails(1, 'not allowed', 'project', 'cancel', $draft);
my $closed = project($a, 1);
api($a, 'POST', "$P$closed/close/");
$o = ok_ctl('project', 'cancel', $closed);
is($o->{status}, 500, 'project cancel of a CLOSED project: CANCELLED');
fails(1, 'no project', 'project', 'cancel', 99999);
fails(1, 'no project', 'project', 'cancel', $shop);
is($t->db_value('SELECT status FROM service_project WHERE id = ?', $shop),
    200, "... shop's project untouched");
fails(1, 'not allowed', 'project', 'approve', $draft);
fails(1, 'reason', 'project', 'reject', $draft);
is($t->db_value('SELECT status FROM service_project WHERE id = ?', $draft),
    0, 'the DRAFT untouched by approve and reject');

# ---- approve and reject under the app's service.review setting -------------

{
    my ($rc, $out, $err) = $t->featctl('app', 'set', 'shop',
        'service.review=on');
    is($rc, 0, 'featctl app set shop service.review=on') or diag($err);
    sleep(1.2);     # every worker reads a changed setting within a second
    my $r1 = project($s, 1);
    my $r2 = project($s, 1);
    is($t->db_value('SELECT status FROM service_project WHERE id = ?', $r1),
        100, "shop's publish goes to REVIEW");
    $l = ok_ctl('project', 'list', '--app', 'shop', '--status', 'review');
    is_deeply([ map { $_->{id} } @$l ], [ $r2, $r1 ],
        'project list --status review: both');
    fails(1, 'not allowed', 'project', 'cancel', $r1, '--app', 'shop');
    fails(1, 'no project', 'project', 'approve', $r1);

    $o = ok_ctl('project', 'approve', $r1, '--app', 'shop');
    is($o->{status}, 200, 'project approve: OPEN');
    is($o->{status_display}, '已发布', '... 已发布');
    ok($o->{published_at}, '... published_at');
    my $sq = api($b, 'GET', '/api/service/square/');
    is($sq->{data}{count}, 0, "... (the default app's square is not shop's)");
    $sq = api($s, 'GET', '/api/service/square/');
    is_deeply([ map { $_->{id} } @{ $sq->{data}{results} } ],
        [ $r1, $shop ], "... on shop's square");

    fails(1, 'reason', 'project', 'reject', $r2, '--app', 'shop');
    fails(1, 'reason', 'project', 'reject', $r2, '--app', 'shop',
        '--reason', '');
    fails(1, 'reason', 'project', 'reject', $r2, '--app', 'shop',
        '--reason', 'x' x 501);
    $o = ok_ctl('project', 'reject', $r2, '--app', 'shop', '--reason',
        '预算不合理');
    is($o->{status}, 0, 'project reject: DRAFT');
    is($o->{review_note}, '预算不合理', '... with the review_note');
    my $g = api($s, 'GET', "$P$r2/");
    is($g->{data}{review_note}, '预算不合理', '... which the owner reads');
    is_deeply($g->{data}{actions}, [qw(edit delete publish)],
        '... and may edit and publish again');
    fails(1, 'not allowed', 'project', 'approve', $r2, '--app', 'shop');
    fails(1, 'not allowed', 'project', 'reject', $r1, '--app', 'shop',
        '--reason', 'x');

    ($rc, $out, $err) = $t->featctl('project', 'approve', $r1, '--app',
        'shop');
    is($rc, 1, 'approving an OPEN project again: exit 1');
    my $r3 = project($s, 1);
    $t->dbh->do('UPDATE service_project SET close_at = ? WHERE id = ?',
        undef, time - 10, $r3);
    fails(1, 'close_at has passed', 'project', 'approve', $r3, '--app',
        'shop');
    is($t->db_value('SELECT status FROM service_project WHERE id = ?', $r3),
        100, '... still in REVIEW');
    ($rc, $out, $err) = $t->featctl('app', 'unset', 'shop', 'service.review');
    is($rc, 0, 'featctl app unset shop service.review') or diag($err);
    sleep(1.2);
    my $pub = api($s, 'POST', "$P$r2/publish/");
    is($pub->{data}{status}, 200, '... then publish opens at once');
}

$t->stop;
done_testing;

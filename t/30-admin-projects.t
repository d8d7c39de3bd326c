#!/usr/bin/perl

# 30-admin-projects.t: the console's moderation of service projects
# (modules/service/admin.c, featcgi-api(7) "ADMIN API"), with the apps'
# service.review on: the review queue (the list's default), the list by
# status, one project, approve (REVIEW -> OPEN, published, on the
# square), reject (REVIEW -> DRAFT with the note the owner reads),
# takedown (OPEN -> CANCELLED with the note, off the square, the bidders
# told), wrong states (409, nothing changed), bad input (400), another
# app's projects (404), and each action's audit row.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FeatAdmin;
use FeatAdminContent qw(adm);
use FeatTest;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000, -no_start => 1);
my ($rc, $out, $err) = $t->featctl('app', 'add', 'shop');
is($rc, 0, 'featctl app add shop') or diag($err);
for my $app ('', 'shop') {
    ($rc, $out, $err) = $t->featctl('app', 'set', $app, 'service.review=on');
    is($rc, 0, "service.review=on for \"$app\"") or diag($err);
}
$t->start;

my $P = '/api/service/project/';
my $S = '/api/service/square/';

# A feat time of t (seconds) in the test config's zone (Asia/Shanghai).
sub iso {
    my ($tt) = @_;
    my @g = gmtime($tt + 8 * 3600);

    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d+08:00', $g[5] + 1900,
        $g[4] + 1, @g[3, 2, 1, 0]);
}

sub feat {
    my ($u, $method, $path, $body) = @_;
    my %h = (-token => $u->{token});

    $h{-app} = $u->{app} if $u->{app} ne '';
    return $t->request($method, $path, $body, \%h);
}

# A project of u published into REVIEW: its id.
my $n = 0;
sub in_review {
    my ($u) = @_;
    $n++;
    my ($st, undef, $j) = feat($u, 'POST', $P, { title => "项目 $n",
        description => "needs $n", budget_fen => 1000 + $n,
        close_at => iso(time + 86400) });
    die "create: $st" if $st != 201;
    my $id = $j->{data}{id};
    ($st, undef, $j) = feat($u, 'POST', "$P$id/publish/");
    die "publish: $st" if $st != 200 || $j->{data}{status} != 100;
    return $id;
}

sub row {
    return $t->db_row('SELECT * FROM service_project WHERE id = ?', $_[0]);
}

sub on_square {
    my ($u, $id) = @_;
    my (undef, undef, $j) = feat($u, 'GET', "$S?page_size=100");
    return scalar grep { $_->{id} == $id } @{ $j->{data}{results} };
}

my $owner = FeatAdmin::user($t, '13500000001');
my $bidder = FeatAdmin::user($t, '13500000002');
my $shopper = FeatAdmin::user($t, '13500000003', 'shop');
my $m = FeatAdminContent::manager($t, 'moderator', app => '');
my $ms = FeatAdminContent::manager($t, 'shopmod', app => 'shop');
my ($st, $j, $au);

my @p = map { in_review($owner) } 1 .. 3;
my $shopp = in_review($shopper);

# ---- the queue -----------------------------------------------------------

($st, $j) = adm($m, 'GET', '/admin/api/apps/~/projects');
is($st, 200, 'GET projects: 200');
is($j->{total}, 3, '... the three in review (the default)');
is_deeply([ sort { $a <=> $b } map { $_->{id} } @{ $j->{data} } ], [ @p ],
    '... these');
my $it = $j->{data}[0];
is($it->{status}, 'review', '... status review');
is($it->{status_code}, 100, '... 100');
is($it->{status_display}, '审核中', '... 审核中');
is($it->{owner}{id}, $owner->{id}, '... its owner');
ok(!defined $it->{published_at}, '... not published');
ok(!on_square($bidder, $p[0]), 'not on the square while in review');

($st, $j) = adm($m, 'GET', '/admin/api/apps/~/projects?status=open');
is($j->{total}, 0, 'status=open: none');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/projects?status=all');
is($j->{total}, 3, 'status=all: three');
($st, $j) = adm($m, 'GET', '/admin/api/apps/~/projects?status=100');
is($st, 400, 'status=100: 400');
is($j->{error}{field}, 'status', '... naming status');

($st, $j) = adm($m, 'GET', "/admin/api/apps/~/projects/$p[0]");
is($st, 200, 'GET projects/{id}: 200');
is($j->{data}{title}, '项目 1', '... the project');
is($j->{data}{bids_count}, 0, '... no bids');

# ---- approve -------------------------------------------------------------

($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[0]/approve");
is($st, 200, 'approve: 200');
is($j->{data}{status}, 'open', '... OPEN');
ok($j->{data}{published_at}, '... published');
my $r = row($p[0]);
is($r->{status}, 200, 'stored OPEN');
ok($r->{published_at}, '... with published_at');
ok(on_square($bidder, $p[0]), 'the square shows it');
($st, undef, $j) = feat($bidder, 'GET', "$P$p[0]/");
is($st, 200, 'another user reads it');
is_deeply($j->{data}{actions}, [ 'bid' ], '... and may bid');
$au = FeatAdminContent::audit($t, 'admin.project.approve');
ok($au, 'audited: admin.project.approve');
is($au->{user_id}, $owner->{id}, '... about the owner');
is($au->{actor}, "manager:$m->{id}", '... by the manager');
like($au->{detail}, qr/"project":$p[0]\b/, '... naming the project');

my $audit0 = $t->db_value('SELECT count(*) FROM audit');
($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[0]/approve");
is($st, 409, 'approving an OPEN project: 409');
is($j->{error}{code}, 'wrong_state', '... wrong_state');
($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[0]/reject",
    { note => 'x' });
is($st, 409, 'rejecting an OPEN project: 409');
is(row($p[0])->{status}, 200, '... still OPEN');
is($t->db_value('SELECT count(*) FROM audit'), $audit0, '... not audited');

# ---- reject --------------------------------------------------------------

for my $case ([ undef, 'no body' ], [ {}, 'no note' ],
    [ { note => '' }, 'an empty note' ], [ { note => 'x' x 501 }, '501' ])
{
    ($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[1]/reject",
        $case->[0]);
    is($st, 400, "reject with $case->[1]: 400");
    is($j->{error}{field}, 'note', '... naming note');
}
is(row($p[1])->{status}, 100, '... still in review');

($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[1]/reject",
    { note => '描述不清楚' });
is($st, 200, 'reject: 200');
is($j->{data}{status}, 'draft', '... back to DRAFT');
is($j->{data}{review_note}, '描述不清楚', '... with the note');
$r = row($p[1]);
is($r->{status}, 0, 'stored DRAFT');
is($r->{review_note}, '描述不清楚', '... the note stored');
($st, undef, $j) = feat($owner, 'GET', "$P$p[1]/");
is($j->{data}{review_note}, '描述不清楚', 'the owner reads the note');
is_deeply($j->{data}{actions}, [qw(edit delete publish)],
    '... and may edit and publish again');
$au = FeatAdminContent::audit($t, 'admin.project.reject');
ok($au, 'audited: admin.project.reject');
is($au->{user_id}, $owner->{id}, '... about the owner');

# ---- takedown ------------------------------------------------------------

($st, undef, $j) = feat($bidder, 'POST', "$P$p[0]/bids/",
    { price_fen => 500 });
is($st, 201, 'a bid on the open project');
my $pushes0 = $t->db_value('SELECT count(*) FROM push');

($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[0]/takedown",
    {});
is($st, 400, 'takedown without a note: 400');
is($j->{error}{field}, 'note', '... naming note');
is(row($p[0])->{status}, 200, '... still OPEN');

($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[0]/takedown",
    { note => '违反社区规则' });
is($st, 200, 'takedown: 200');
is($j->{data}{status}, 'cancelled', '... CANCELLED');
is($j->{data}{review_note}, '违反社区规则', '... with the note');
$r = row($p[0]);
is($r->{status}, 500, 'stored CANCELLED');
ok($r->{cancelled_at}, '... cancelled_at');
is($r->{review_note}, '违反社区规则', '... the note stored');
ok(!on_square($bidder, $p[0]), 'off the square');
($st, undef, $j) = feat($owner, 'GET', "$P$p[0]/");
is($j->{data}{status}, 500, 'the owner sees it cancelled');
is($j->{data}{review_note}, '违反社区规则', '... and reads why');
is($t->db_value('SELECT count(*) FROM push'), $pushes0 + 1,
    'the bidders are told (a push)');
is($t->db_value('SELECT t.user_id FROM push_target t JOIN push p'
    . ' ON p.id = t.push_id ORDER BY p.id DESC LIMIT 1'), $bidder->{id},
    '... to the bidder');
$au = FeatAdminContent::audit($t, 'admin.project.takedown');
ok($au, 'audited: admin.project.takedown');
is($au->{user_id}, $owner->{id}, '... about the owner');

($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[2]/takedown",
    { note => 'x' });
is($st, 409, 'taking down a project in review: 409');
is(row($p[2])->{status}, 100, '... unchanged');

($st, $j) = adm($m, 'GET', '/admin/api/apps/~/projects?status=cancelled');
is_deeply([ map { $_->{id} } @{ $j->{data} } ], [ $p[0] ],
    'status=cancelled: the one taken down');

# ---- another app ---------------------------------------------------------

for my $call ([ 'GET', "/admin/api/apps/~/projects/$shopp" ],
    [ 'POST', "/admin/api/apps/~/projects/$shopp/approve" ],
    [ 'GET', "/admin/api/apps/shop/projects/$shopp" ],
    [ 'POST', "/admin/api/apps/shop/projects/$shopp/approve" ],
    [ 'POST', "/admin/api/apps/shop/projects/$shopp/reject",
      { note => 'x' } ])
{
    ($st, $j) = adm($m, @$call);
    is($st, 404, "A's manager: $call->[0] $call->[1]: 404");
}
is(row($shopp)->{status}, 100, '... B\'s project still in review');
($st, $j) = adm($ms, 'POST', "/admin/api/apps/shop/projects/$p[2]/approve");
is($st, 404, 'B\'s manager approving A\'s project by B\'s path: 404');
is(row($p[2])->{status}, 100, '... unchanged');
($st, $j) = adm($ms, 'POST', "/admin/api/apps/shop/projects/$shopp/approve");
is($st, 200, 'B\'s manager approves B\'s');

($st, $j) = adm($m, 'POST', "/admin/api/apps/~/projects/$p[2]/approve",
    undef, csrf => 0);
is($st, 403, 'approve without the CSRF token: 403');
is(row($p[2])->{status}, 100, '... unchanged');

done_testing;

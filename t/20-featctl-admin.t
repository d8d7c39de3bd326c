#!/usr/bin/perl

# t/20-featctl-admin.t: the v2 administrators' featctl commands (manager,
# faq, feedback-category, feedback, push), each checked by its effect
# through the API a user sees, and on the rows where the API cannot show
# it (manager_id, push_status).  Every command takes --app; bad input exits
# 1 with "featctl: <reason>" and nothing on stdout, a bad command line 2;
# --json output parses and people get a table.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Encode qw(decode_utf8);
use FeatAdmin;
use FeatTest;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000);

# A failing command: exit status $want and one "featctl: ..." line.
sub fails {
    my ($want, $re, @args) = @_;
    my ($rc, $out, $err) = $t->featctl(@args);

    is($rc, $want, "featctl @args: exit $want");
    like($err, qr/^featctl: .*(?:$re)/m, "... says why") if defined $re;
    is($out, '', '... nothing on stdout') if $want == 1;
}

sub ok_ctl { return FeatAdmin::ctl_ok($t, @_) }
sub api { return FeatAdmin::api($t, @_) }

is((FeatAdmin::ctl($t, 'app', 'add', 'shop'))[0], 0, 'app shop added');

my $a = FeatAdmin::user($t, '13900000001');
my $b = FeatAdmin::user($t, '13900000002');
my $s = FeatAdmin::user($t, '13900000003', 'shop');


# ---- manager --------------------------------------------------------------

fails(1, 'no manager', 'feedback', 'reply', '1', 'x');
my $m1 = ok_ctl('manager', 'add', '客服小王');
ok($m1->{id} > 0, 'manager add: an id');
is($m1->{name}, '客服小王', '... the name');
is($m1->{app_id}, '', '... in the default app');
my $ms = ok_ctl('manager', 'add', 'shop desk', '--app', 'shop');
is($ms->{app_id}, 'shop', 'manager add --app shop: in shop');

my $ml = ok_ctl('manager', 'list');
is(scalar(@$ml), 1, 'manager list: one manager in ""');
is($ml->[0]{id}, $m1->{id}, '... the one added');
$ml = ok_ctl('manager', 'list', '--app', 'shop');
is_deeply([ map { $_->{name} } @$ml ], ['shop desk'],
    'manager list --app shop: only shop\'s');

{
    my ($rc, $out, $err) = $t->featctl('manager', 'list');
    is($rc, 0, 'manager list for people: exit 0');
    like($out, qr/^ID\s+NAME\s+LOGIN\s+TOTP\s+DISABLED\s+APPS\s+CREATED\n/,
        '... a table with headings');
    like(decode_utf8($out), qr/客服小王/, '... the name in it');
}


fails(1, 'no app', 'manager', 'add', 'x', '--app', 'nosuch');
fails(1, 'no app', 'manager', 'list', '--app', 'nosuch');
fails(1, 'manager name', 'manager', 'add', '');
fails(1, 'manager name', 'manager', 'add', 'x' x 65);
fails(2, 'missing argument', 'manager', 'add');
fails(2, 'unknown option', 'manager', 'add', 'x', '--bogus');


# ---- faq ------------------------------------------------------------------

my $f1 = ok_ctl('faq', 'add', '--title', '如何注册', '--content', '用手机号',
    '--category', 'account', '--external-link', 'https://example.com/a');
ok($f1->{id} > 0, 'faq add: an id');
my $j = api($a, 'GET', "/api/faq/$f1->{id}");
is($j->{code}, 0, '... GET /api/faq/{id}: 0');
is($j->{data}{title}, '如何注册', '... title');
is($j->{data}{content}, '用手机号', '... content');
is($j->{data}{category}, 'account', '... category');
is($j->{data}{external_link}, 'https://example.com/a', '... external_link');

my $f2 = ok_ctl('faq', 'add', '--title', 'second');
$j = api($a, 'GET', '/api/faq');
is_deeply(FeatAdmin::ids($j), [ $f2->{id}, $f1->{id} ],
    'GET /api/faq: both, newest first');
is($j->{data}{data}[0]{content}, '', '... optional fields empty');

my $fs = ok_ctl('faq', 'add', '--title', 'shop faq', '--app', 'shop');
$j = api($a, 'GET', "/api/faq/$fs->{id}");
is($j->{code}, 10001, 'a shop FAQ is not found in ""');
$j = api($s, 'GET', '/api/faq');
is_deeply(FeatAdmin::ids($j), [ $fs->{id} ], '... and shop lists only it');

ok_ctl('faq', 'edit', $f1->{id}, '--title', 'new title', '--category', '');
$j = api($a, 'GET', "/api/faq/$f1->{id}");
is($j->{data}{title}, 'new title', 'faq edit: title changed');
is($j->{data}{category}, '', '... category cleared');
is($j->{data}{content}, '用手机号', '... content kept');

fails(1, 'no FAQ entry', 'faq', 'edit', $fs->{id}, '--title', 'x');
fails(1, 'no FAQ entry', 'faq', 'rm', $fs->{id});
fails(1, 'needs --title', 'faq', 'add', '--content', 'c');
fails(1, 'title', 'faq', 'add', '--title', '');
fails(1, 'title', 'faq', 'add', '--title', 'x' x 201);
fails(1, 'external-link', 'faq', 'add', '--title', 't',
    '--external-link', 'javascript:alert(1)');
fails(1, 'at least one', 'faq', 'edit', $f1->{id});
fails(1, 'bad FAQ id', 'faq', 'rm', 'abc');
fails(1, 'bad FAQ id', 'faq', 'rm', '0');
fails(1, 'limit', 'faq', 'list', '--limit', '0');
fails(1, 'no app', 'faq', 'list', '--app', 'nosuch');

my $fl = ok_ctl('faq', 'list', '--limit', '1');
is(scalar(@$fl), 1, 'faq list --limit 1: one row');
is($fl->[0]{id}, $f2->{id}, '... the newest');
$fl = ok_ctl('faq', 'list', '--offset', '1');
is_deeply([ map { $_->{id} } @$fl ], [ $f1->{id} ], 'faq list --offset 1');

ok_ctl('faq', 'rm', $f2->{id});
$j = api($a, 'GET', "/api/faq/$f2->{id}");
is($j->{code}, 10001, 'faq rm: the entry answers 10001');
fails(1, 'no FAQ entry', 'faq', 'rm', $f2->{id});


# ---- feedback categories ----------------------------------------------------

my $c1 = ok_ctl('feedback-category', 'add', 'app', '--description', '应用问题');
ok($c1->{id} > 0, 'feedback-category add: an id');
my $c2 = ok_ctl('feedback-category', 'add', 'billing');
my $cs = ok_ctl('feedback-category', 'add', 'shop cat', '--app', 'shop');
$j = api($a, 'GET', '/api/feedback_category');
is_deeply(FeatAdmin::ids($j), [ $c2->{id}, $c1->{id} ],
    'GET /api/feedback_category: the two of "", newest first');
is($j->{data}{data}[1]{description}, '应用问题', '... the description');
my $cl = ok_ctl('feedback-category', 'list');
is(scalar(@$cl), 2, 'feedback-category list: two');
fails(1, 'category name', 'feedback-category', 'add', '');
fails(1, 'no feedback category', 'feedback-category', 'rm', $cs->{id});
fails(1, 'no app', 'feedback-category', 'list', '--app', 'nosuch');


# ---- feedback -----------------------------------------------------------------

$j = api($a, 'POST', '/api/feedback', { feedback_content => '闪退了',
    feedback_category_id => $c2->{id}, contact_phone => '13900000001' });
is($j->{code}, 0, 'A files a feedback');
my $fb = $j->{data};
$j = api($b, 'POST', '/api/feedback', { feedback_content => 'B here' });
my $fbb = $j->{data};

my $fbl = ok_ctl('feedback', 'list');
is_deeply([ map { $_->{id} } @$fbl ], [ $fbb->{id}, $fb->{id} ],
    'feedback list: every user\'s, newest first');
$fbl = ok_ctl('feedback', 'list', '--user', $a->{id});
is_deeply([ map { $_->{id} } @$fbl ], [ $fb->{id} ], 'feedback list --user');
is($fbl->[0]{content}, '闪退了', '... full content in JSON');
is($fbl->[0]{category_id}, $c2->{id}, '... the category');
$fbl = ok_ctl('feedback', 'list', '--status', '1');
is(scalar(@$fbl), 0, 'feedback list --status 1: none replied yet');
is(scalar(@{ ok_ctl('feedback', 'list', '--app', 'shop') }), 0,
    'feedback list --app shop: none of ""\'s');

fails(1, 'status', 'feedback', 'list', '--status', '3');
fails(1, 'user', 'feedback', 'list', '--user', 'x');

# removing a category keeps its feedback, without a category
ok_ctl('feedback-category', 'rm', $c2->{id});
$j = api($a, 'GET', '/api/feedback');
is($j->{data}{data}[0]{feedback_category_id}, undef,
    'feedback-category rm: the feedback stays, category null');
$j = api($a, 'GET', '/api/feedback_category');
is_deeply(FeatAdmin::ids($j), [ $c1->{id} ], '... the category is gone');

# reply: status replied, unread until the user fetches it
$j = api($a, 'GET', "/api/feedback/reply/$fb->{id}");
is($j->{code}, 10001, 'no reply yet: 10001');
my $r1 = ok_ctl('feedback', 'reply', $fb->{id}, '已修复, 请更新');
is($r1->{manager_id}, $m1->{id}, 'feedback reply: the only manager');
is($t->db_value('SELECT manager_id FROM feedback_reply WHERE id = ?',
    $r1->{id}), $m1->{id}, '... recorded with manager_id');
$j = api($a, 'GET', '/api/message/count');
is($j->{data}{feedback_count}, 1, '... counts as unread for A');
$j = api($a, 'GET', '/api/feedback');
is($j->{data}{data}[0]{feedback_status}, 1, '... status replied');
$j = api($a, 'GET', "/api/feedback/reply/$fb->{id}");
is($j->{code}, 0, 'A fetches the reply');
is($j->{data}{reply_content}, '已修复, 请更新', '... the text');
is($j->{data}{manager_id}, $m1->{id}, '... manager_id');
ok(!$j->{data}{is_read}, '... is_read false the first time');
$j = api($a, 'GET', '/api/message/count');
is($j->{data}{feedback_count}, 0, '... then no unread reply');

my $show = ok_ctl('feedback', 'show', $fb->{id});
is($show->{id}, $fb->{id}, 'feedback show: the feedback');
is($show->{status}, 1, '... status 1');
is(scalar(@{ $show->{replies} }), 1, '... one reply');
ok($show->{replies}[0]{is_read}, '... read by now');
{
    my ($rc, $out) = $t->featctl('feedback', 'show', $fb->{id});
    $out = decode_utf8($out);
    like($out, qr/^content:\s+闪退了$/m, 'feedback show for people: fields');
    like($out, qr/^REPLY\s+MANAGER/m, '... and a table of replies');
}

# a second manager: the reply must name one
my $m2 = ok_ctl('manager', 'add', 'second');
fails(1, '--manager', 'feedback', 'reply', $fb->{id}, 'again');
my $r2 = ok_ctl('feedback', 'reply', $fb->{id}, 'again', '--manager',
    $m2->{id});
is($r2->{manager_id}, $m2->{id}, 'feedback reply --manager: that manager');
fails(1, 'no manager', 'feedback', 'reply', $fb->{id}, 'x', '--manager',
    $ms->{id});
fails(1, 'no feedback', 'feedback', 'reply', $fbb->{id}, 'x', '--app',
    'shop');
fails(1, 'reply text', 'feedback', 'reply', $fb->{id}, '', '--manager',
    $m1->{id});

ok_ctl('feedback', 'close', $fb->{id});
$j = api($a, 'GET', '/api/feedback');
is($j->{data}{data}[0]{feedback_status}, 2, 'feedback close: status 2');
fails(1, 'closed', 'feedback', 'reply', $fb->{id}, 'x', '--manager',
    $m1->{id});
fails(1, 'already closed', 'feedback', 'close', $fb->{id});
fails(1, 'no feedback', 'feedback', 'close', '999999');
fails(1, 'no feedback', 'feedback', 'show', '999999');
$fbl = ok_ctl('feedback', 'list', '--status', '2');
is_deeply([ map { $_->{id} } @$fbl ], [ $fb->{id} ],
    'feedback list --status 2: the closed one');


# ---- push send --------------------------------------------------------------

fails(1, '--all or --user', 'push', 'send', '--title', 't', '--body', 'b',
    '--manager', $m1->{id});
fails(1, '--all or --user', 'push', 'send', '--title', 't', '--body', 'b',
    '--all', '--user', $a->{id}, '--manager', $m1->{id});
fails(1, 'needs --title', 'push', 'send', '--body', 'b', '--all');
fails(1, '--manager', 'push', 'send', '--title', 't', '--body', 'b', '--all');
fails(1, 'not a user of app', 'push', 'send', '--title', 't', '--body', 'b',
    '--user', $s->{id}, '--manager', $m1->{id});
fails(1, 'title', 'push', 'send', '--title', '', '--body', 'b', '--all',
    '--manager', $m1->{id});
fails(2, 'bad --user', 'push', 'send', '--title', 't', '--body', 'b',
    '--user', '1,x', '--manager', $m1->{id});
fails(2, 'unknown option', 'push', 'send', '--bogus', 'x');
is($t->db_value('SELECT count(*) FROM push'), 0, 'refused sends store nothing');

my $p1 = ok_ctl('push', 'send', '--title', '全员', '--body', '大家好', '--all',
    '--manager', $m1->{id});
is($p1->{push_scope}, 0, 'push send --all: scope 0');
is($p1->{push_status}, 0, '... queued');
is($p1->{users}, 2, '... reaches the two users of ""');
# neither user has a device: 1 once the jobs process has fanned it out
ok($t->wait_for(sub { $t->db_value('SELECT status FROM push WHERE id = ?',
    $p1->{id}) == 1 }), '... stored status 1 once fanned out (no device)');
my $p2 = ok_ctl('push', 'send', '--title', 'only A', '--body', 'hi A',
    '--user', "$a->{id},$a->{id}", '--manager', $m2->{id});
is($p2->{push_scope}, 1, 'push send --user: scope 1');
is($p2->{users}, 1, '... one user (duplicates once)');
is($p2->{push_status}, 1, '... A has no device: push_status 1 at once');

$j = api($a, 'GET', '/api/push/log');
is_deeply(FeatAdmin::ids($j), [ $p2->{id}, $p1->{id} ], 'A sees both pushes');
is($j->{data}{data}[0]{manager_id}, $m2->{id}, '... with manager_id');
is($j->{data}{data}[0]{push_status}, 1, '... push_status 1');
$j = api($b, 'GET', '/api/push/log');
is_deeply(FeatAdmin::ids($j), [ $p1->{id} ], 'B sees only the push to all');
$j = api($s, 'GET', '/api/push/log');
is($j->{data}{total}, 0, 'shop sees none');

my $p3 = ok_ctl('push', 'send', '--title', 'shop', '--body', '', '--all',
    '--app', 'shop');
is($p3->{manager_id}, $ms->{id}, 'push send --app shop: shop\'s manager');
$j = api($s, 'GET', '/api/push/log');
is_deeply(FeatAdmin::ids($j), [ $p3->{id} ], '... reaches the shop user');
{
    my ($rc, $out) = $t->featctl('push', 'send', '--title', 't', '--body',
        'b', '--user', $b->{id}, '--manager', $m1->{id});
    like($out, qr/^push \d+ queued for 1 user$/m, 'push send for people');
}


# ---- manager list: the console's side (last: more managers per app) ----

# What the console lets each manager do: login, TOTP, disabled, apps;
# never a hash or a secret, in either form
{
    my $ops = $t->admin_manager(login => 'ops.shop', app => 'shop',
        totp => 1);
    my $root = $t->admin_manager(login => 'root', all_apps => 1);
    ok_ctl('manager', 'disable', $root->{id});

    my $all = ok_ctl('manager', 'list', '--all');
    my %by = map { $_->{id} => $_ } @$all;
    is_deeply([ map { $_->{id} } @$all ],
        [ map { $_->{id} }
            @{ $t->db_rows('SELECT id FROM managers ORDER BY id') } ],
        'manager list --all: every app\'s managers');
    ok($by{$ms->{id}} && $by{$ops->{id}}, '... shop\'s among them');
    is_deeply([ @{ $by{$ops->{id}} }{qw(login totp disabled all_apps apps)} ],
        [ 'ops.shop', JSON::PP::true, JSON::PP::false, JSON::PP::false,
          'shop' ], '... a login with TOTP, bound to shop');
    is_deeply([ @{ $by{$root->{id}} }{qw(login totp disabled all_apps apps)} ],
        [ 'root', JSON::PP::false, JSON::PP::true, JSON::PP::true,
          'all apps' ], '... disabled, all apps');
    is_deeply([ @{ $by{$m1->{id}} }{qw(login totp disabled apps)} ],
        [ undef, JSON::PP::false, JSON::PP::false, '' ],
        '... no login: a name for replies and pushes');
    is_deeply([ sort keys %{ $by{$ops->{id}} } ],
        [ qw(all_apps app_id apps created_at disabled id login name totp) ],
        '... those keys and no other');
    # what the list says is what is stored
    is($t->db_value('SELECT totp_secret != \'\' FROM managers WHERE id = ?',
        $ops->{id}), 1, '... TOTP as stored');
    is($t->db_value('SELECT disabled FROM managers WHERE id = ?',
        $root->{id}), 1, '... disabled as stored');

    is_deeply([ map { $_->{id} } @{ ok_ctl('manager', 'list', '--app',
        'shop') } ], [ $ms->{id}, $ops->{id} ],
        'manager list --app shop: the managers recorded in shop');

    my ($rc, $out) = $t->featctl('manager', 'list', '--all');
    my ($line) = grep { /\bops\.shop\b/ } split /\n/, $out;
    like($line, qr/^$ops->{id}\s+ops\.shop\s+ops\.shop\s+yes\s+no\s+shop\s/,
        'manager list for people: login, TOTP yes, disabled no, its app');
    ($line) = grep { /\broot\b/ } split /\n/, $out;
    like($line, qr/\sroot\s+no\s+yes\s+all apps\s/,
        '... all apps for an all-apps manager');
    ($line) = grep { /客服小王/ } split /\n/, decode_utf8($out);
    like($line, qr/客服小王\s+-\s+no\s+no\s+""\s/, '... "-" for no login');

    my $hash = $t->db_value('SELECT password FROM managers WHERE id = ?',
        $ops->{id});
    my $sealed = $t->db_value('SELECT totp_secret FROM managers WHERE id = ?',
        $ops->{id});
    my (undef, $json) = $t->featctl('--json', 'manager', 'list', '--all');
    for my $o ($out, $json) {
        ok(index($o, $hash) < 0 && index($o, $sealed) < 0
            && $o !~ /scrypt|\$/, '... no hash, no sealed secret');
    }
    fails(1, 'one or the other', 'manager', 'list', '--all', '--app', 'shop');
}


# ---- global -----------------------------------------------------------------

{
    my ($rc, $out, $err) = $t->featctl('help');
    for my $c ('manager add', 'manager list', 'faq add', 'faq edit',
        'faq rm', 'faq list', 'feedback-category add', 'feedback-category rm',
        'feedback-category list', 'feedback list', 'feedback show',
        'feedback reply', 'feedback close', 'push send')
    {
        like($out, qr/^  \Q$c\E/m, "help lists $c");
    }
}

$t->stop;
done_testing;

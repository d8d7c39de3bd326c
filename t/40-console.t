#!/usr/bin/perl
# 40-console.t: the console at /admin/ in a real browser (issue 13).
#
# Starts nginx and the pool, seeds users, feedback (one carrying an XSS
# payload), projects in review, an order and the app's settings through
# the public APIs and featctl, makes a manager of every app with a
# password, then runs t/console/run.py: Debian's chromium, headless,
# driven by chromium-driver through python3-selenium, signs in and walks
# every page at desktop (1280x800) and phone (390x844) size, acting as a
# manager would.  Each of its steps is a test here, and so are its
# effects as the APIs show them: the user's v2 client reads the reply, the
# square shows the approved project, the project taken down from its row
# of the list is cancelled with its note, the push, FAQ and notice are stored,
# the deleted account is gone, each action has its audit row.  No CSP
# violation and no JavaScript error may reach the browser's console.
#
# A second, short session with config locale = en checks that the sign-in
# speaks English.  Screenshots go into a directory this test prints (kept
# after the run, for a reviewer); FEAT_SHOTS names one to use instead.
# Without chromium, chromium-driver or python3-selenium the test fails:
# tools/test installs them.

use strict;
use utf8;
use warnings;

use lib 't/lib';
use Cwd qw(abs_path);
use Encode qw(encode_utf8);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use FeatTest;
use JSON::PP;
use Test::More;

my $JSON = JSON::PP->new->utf8->canonical;
binmode(Test::More->builder->$_, ':encoding(UTF-8)')
    for qw(output failure_output todo_output);
my $SRC = abs_path(dirname(abs_path(__FILE__)) . '/..');
my $RUN = "$SRC/t/console/run.py";
my $PY = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
my $CHROMIUM = $ENV{FEAT_CHROMIUM} // '/usr/bin/chromium';
my $DRIVER = $ENV{FEAT_CHROMEDRIVER} // '/usr/bin/chromedriver';

# ---- the browser is there, or the test fails --------------------------------

my $have = 1;
$have &&= ok(-x $CHROMIUM, "chromium at $CHROMIUM (tools/test installs it)");
$have &&= ok(-x $DRIVER, "chromedriver at $DRIVER (chromium-driver)");
$have &&= ok(system($PY, '-c', 'import selenium') == 0,
    "$PY imports selenium (python3-selenium)");
if (!$have) {
    done_testing;
    exit;
}

my $tmp = $ENV{TMPDIR} && -d $ENV{TMPDIR} ? $ENV{TMPDIR} : '/tmp';
my $shots = $ENV{FEAT_SHOTS}
    // tempdir('featcgi-console-shots-XXXXXX', DIR => $tmp, CLEANUP => 0);
make_path($shots);
chmod(0755, $shots);
my $work = tempdir('featcgi-console-XXXXXX', DIR => $tmp, CLEANUP => 1);
diag("console screenshots: $shots");

# pushes are delivered into a file, so a push's targets show "sent"
my $t = FeatTest->new('push.log_path' => "$work/push.log");
my ($st, $h, $j, $rc, $out, $err);

sub ctl_ok {
    my (@args) = map { encode_utf8($_) } @_;
    my ($rc, $out, $err) = $t->featctl(@args);

    die "featctl @args: $rc $err$out" if $rc != 0;
    return $out;
}

# ---- users and what they wrote ----------------------------------------------

my $n = 0;
sub user {
    my $phone = sprintf('139%08d', ++$n);
    my $d = $t->register_v2($phone, 'secret-pw');
    my $id = $t->db_value('SELECT id FROM users WHERE phone = ?', $phone);

    return { token => $d->{access_token}, id => $id, phone => $phone };
}

sub api {
    my ($u, $method, $path, $body) = @_;

    return $t->request($method, $path, $body, { -token => $u->{token} });
}

my $A = user();         # writes feedback, owns the projects and the order
my $B = user();         # looks at the square; a push target
my $X = user();         # deleted through the console
my $Y = user();         # disabled and enabled (which ends its sessions)

($st, $h, $j) = api($A, 'PUT', '/api/personal/info', { nickname => '小明' });
die "nickname: $st" if $st != 200 || $j->{code} != 0;
($st, $h, $j) = api($B, 'POST', '/api/push/bind',
    { client_id => 'cid-console-b', client_type => 'android' });
die "push bind: $st" if $st != 200 || $j->{code} != 0;

my $FEEDBACK = '登录后闪退，请帮忙看看 (console test)';
my $XSS = '<img src=x onerror="window.__xss=true"><script>window.__xss=true'
    . '</script>';
my %fb;
for my $c ([ plain => $FEEDBACK ], [ xss => $XSS ]) {
    ($st, $h, $j) = api($A, 'POST', '/api/feedback',
        { feedback_content => $c->[1], contact_phone => '13900000000' });
    die "feedback: $st" if $st != 200 || $j->{code} != 0;
    $fb{ $c->[0] } = $j->{data}{id};
}

# A second app, so the picker has a choice.
ctl_ok('app', 'add', 'shop', '--name', '商城');

# The FAQ the console deletes.
ctl_ok('faq', 'add', '--title', 'Old question to delete', '--content', 'x');

# Two projects in review: one approved, one rejected.
ctl_ok('app', 'set', '', 'service.review=on');
sleep(1.2);             # every worker reads a changed setting within 1 s
my @g = gmtime(time + 8 * 3600 + 7 * 86400);
my $close_at = sprintf('%04d-%02d-%02dT%02d:%02d:%02d+08:00', $g[5] + 1900,
    $g[4] + 1, @g[3, 2, 1, 0]);
my %proj;
for my $k (qw(approve reject takedown)) {
    ($st, $h, $j) = api($A, 'POST', '/api/service/project/',
        { title => "Logo 设计 ($k)", description => "A logo, $k me",
          budget_fen => 88800, close_at => $close_at, category => 'design' });
    die "project: $st" if $st != 201;
    $proj{$k} = $j->{data}{id};
    ($st, $h, $j) = api($A, 'POST', "/api/service/project/$proj{$k}/publish/");
    die "publish: $st $j->{data}{status}" if $st != 200
        || $j->{data}{status} != 100;
}

# The third opens, to be taken down from its row of the list.
ctl_ok('project', 'approve', $proj{takedown});

# An order of a product.
my $product = $JSON->decode(ctl_ok('--json', 'product', 'add', '--name',
    '会员月卡', '--price-fen', '1990'));
($st, $h, $j) = api($A, 'POST', '/api/pay/order/',
    { product_id => $product->{id} + 0 });
die "order: $st" if $st != 201 && $st != 200;
my $order = $j->{data}{id};

# Settings: a plain one and a secret one.
my $SECRET = 'k' x 24 . 'SECRETVALUE';
ctl_ok('app', 'set', '', 'weixin.mch_id=1900000109', "weixin.key=$SECRET");

# ---- a manager of every app -------------------------------------------------

my $LOGIN = 'desk';
my $PASSWORD = 'console-pw-1';
my $mid = $t->admin_manager(login => $LOGIN, password => $PASSWORD,
    name => encode_utf8('Desk 客服'), all_apps => 1)->{id};
# and one of the default app only, with TOTP (the English session)
my $tm = $t->admin_manager(login => 'night', password => 'night-pw-1',
    name => 'Night', app => '', totp => 1);

# ---- the walk ---------------------------------------------------------------

sub run_browser {
    my ($name, %plan) = @_;
    my $file = "$work/$name.json";

    make_path("$work/$name-profile", "$work/downloads");
    %plan = (
        base => $t->url(''), login => $LOGIN, password => $PASSWORD,
        shots => $shots, downloads => "$work/downloads",
        profile => "$work/$name-profile", chromium => $CHROMIUM,
        chromedriver => $DRIVER, driver_log => "$work/$name-driver.log",
        allow_console => [ '/admin/api/session - Failed to load resource: '
            . 'the server responded with a status of 401' ],
        %plan);
    open(my $fh, '>', $file) or die "$file: $!";
    print {$fh} $JSON->encode(\%plan);
    close($fh);
    my $out = `$PY $RUN $file 2>$work/$name.stderr`;
    my $r = eval { $JSON->decode($out) };
    if (!$r) {
        fail("$name: run.py answered");
        diag("run.py: $out\n" . `cat $work/$name.stderr`);
        return undef;
    }
    if ($r->{fatal}) {
        fail("$name: $r->{fatal}");
        return undef;
    }
    for my $s (@{ $r->{steps} }) {
        ok($s->{ok}, "browser: $s->{name}") or diag($s->{detail});
    }
    is($r->{csp}, 0, "$name: no Content-Security-Policy violation")
        or diag(join("\n", @{ $r->{csp_lines} }));
    is_deeply($r->{js_errors}, [], "$name: no JavaScript error")
        or diag(join("\n", @{ $r->{js_errors} }));
    return $r;
}

my $r = run_browser('walk',
    app => '', all_apps => JSON::PP::true,
    feedback_id => $fb{plain}, feedback_text => $FEEDBACK,
    xss_feedback_id => $fb{xss}, xss_text => $XSS,
    reply_text => '您好，已修复，请更新到最新版本。',
    faq_title => '如何修改密码', faq_content => '在“我的”页面修改。',
    faq_delete_title => 'Old question to delete',
    notice_title => '双十二活动',
    push_title => '系统维护通知', push_body => '今晚 23:00 维护一小时',
    push2_title => 'Hello listed users', push2_users => [ $B->{id} + 0 ],
    user_query => $Y->{phone}, user_id => $Y->{id} + 0,
    delete_user_id => $X->{id} + 0,
    project_title => 'Logo 设计 (approve)', project_id => $proj{approve},
    reject_project_id => $proj{reject}, reject_note => '描述不清楚',
    takedown_project_id => $proj{takedown},
    takedown_title => 'Logo 设计 (takedown)', takedown_note => '涉嫌违规',
    order_id => $order,
    secret_keys => [ 'weixin.key' ], secret_values => [ $SECRET ],
    settings_put => { 'weixin.mch_id' => '1900000999',
                      'getui.master_secret' => 'gm-secret-console' },
    secret_put => [ 'getui.master_secret' ]);

# ---- what the console did, as the APIs and the database show it -------------

($st, $h, $j) = api($A, 'GET', "/api/feedback/reply/$fb{plain}");
is($j->{code}, 0, "the user's v2 client reads the reply");
is($j->{data}{reply_content}, '您好，已修复，请更新到最新版本。',
    '... its text') or diag(explain($j));
is($j->{data}{manager_id}, $mid, '... from the manager');
is($t->db_value('SELECT status FROM feedback WHERE id = ?', $fb{plain}), 1,
    '... the feedback is replied');

($st, $h, $j) = api($B, 'GET', '/api/service/square/?page_size=100');
ok((grep { $_->{id} == $proj{approve} && $_->{status} == 200 }
    @{ $j->{data}{results} // [] }), 'the square shows the approved project');
($st, $h, $j) = api($A, 'GET', "/api/service/project/$proj{reject}/");
isnt($j->{data}{status}, 100, 'the rejected project left review');
is($j->{data}{review_note}, '描述不清楚', '... with the note')
    if exists $j->{data}{review_note};

is_deeply($t->db_row('SELECT status, review_note FROM service_project'
    . ' WHERE id = ?', $proj{takedown}), { status => 500,
    review_note => '涉嫌违规' }, 'the project taken down from its row:'
    . ' cancelled, with the note');
($st, $h, $j) = api($A, 'GET', "/api/service/project/$proj{takedown}/");
is($j->{data}{status}, 500, '... its owner sees it cancelled');
is($t->db_value('SELECT status FROM service_project WHERE id = ?',
    $proj{approve}), 200, '... the other open project left open');

is($t->db_value('SELECT count(*) FROM push WHERE title = ?', '系统维护通知'),
    1, 'the push is stored');
($st, $h, $j) = api($B, 'GET', '/api/push/log?page=1&page_size=20');
ok((grep { $_->{push_title} eq 'Hello listed users' }
    @{ $j->{data}{data} // [] }), "the listed user's push log shows the push")
    or diag(explain($j));
($st, $h, $j) = api($A, 'GET', '/api/push/log?page=1&page_size=20');
ok(!(grep { $_->{push_title} eq 'Hello listed users' }
    @{ $j->{data}{data} // [] }), '... and not an unlisted one\'s')
    or diag(explain($j));

is($t->db_value('SELECT count(*) FROM faq WHERE title = ?',
    '如何修改密码 v2'), 1, 'the FAQ created and edited');
is($t->db_value('SELECT count(*) FROM faq WHERE title = ?',
    'Old question to delete'), 0, 'the FAQ deleted');
is($t->db_value('SELECT count(*) FROM notices WHERE title = ?', '双十二活动'),
    1, 'the notice created');
ok($t->db_value('SELECT deleted_at FROM users WHERE id = ?', $X->{id}),
    'the deleted account is erased (a tombstone)');
is($t->db_value('SELECT phone FROM users WHERE id = ?', $X->{id}), '',
    '... its phone gone');
($st, $h, $j) = api($X, 'GET', '/api/personal/info');
isnt($j->{code}, 0, '... its token refused');
is($t->db_value('SELECT is_active FROM users WHERE id = ?', $Y->{id}), 1,
    'the disabled and enabled user is active');
($st, $h, $j) = api($Y, 'GET', '/api/personal/info');
isnt($j->{code}, 0, '... its sessions ended with the disable');
is($t->db_value('SELECT is_active FROM users WHERE id = ?', $A->{id}), 1,
    'the other users are untouched');

($rc, $out, $err) = $t->featctl('app', 'get', '', 'weixin.mch_id');
like($out, qr/1900000999/, 'the setting changed in the console')
    or diag($err);
($rc, $out, $err) = $t->featctl('app', 'get', '', 'getui.master_secret');
like($out, qr/\(set\)/, '... and the secret written') or diag($out, $err);

for my $action (qw(admin.session.create admin.feedback.reply admin.faq.create
    admin.faq.update admin.faq.delete admin.notice.create admin.push.send
    admin.user.disable admin.user.enable admin.user.export admin.user.delete
    admin.project.approve admin.project.reject admin.project.takedown
    admin.settings.update
    admin.session.delete))
{
    ok($t->db_value('SELECT count(*) FROM audit WHERE action = ?'
        . " AND actor = ?", $action, "manager:$mid"),
        "audit: $action by manager:$mid");
}

# ---- English ----------------------------------------------------------------

$t->write_conf(locale => 'en');
$t->signal('HUP');
$t->wait_for(sub {
    my ($s, $hh, $d) = $t->get('/admin/api/session');
    return ref $d eq 'HASH' && ($d->{error}{message} // '') !~ /[^\x00-\x7f]/;
}, 30);
run_browser('english', mode => 'english', app => '',
    totp_login => 'night', totp_password => 'night-pw-1',
    totp_code => FeatTest::totp_code($tm->{secret}));

opendir(my $dh, $shots);
my @png = sort grep { /\.png$/ } readdir($dh);
closedir($dh);
cmp_ok(scalar(@png), '>=', 40, 'screenshots of every page at both sizes');
diag("console screenshots: $shots (" . scalar(@png) . ' files)');

$t->stop;
done_testing;

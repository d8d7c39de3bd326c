#!/usr/bin/perl

# 60-fault-injection.t: SQLite's do_faultsim_test through nginx.  In a
# build with --enable-fault-injection (featcgi -v says so) and testing on,
# the header X-Feat-Fault-Step: N makes the N-th sqlite3_step of that one
# request fail with SQLITE_IOERR.  For each write request below, N walks
# 1, 2, ... with fresh preconditions until the request succeeds (the fault
# fell after its last step); every failed answer must be well-formed in
# its dialect and leave the tables the request writes exactly as they
# were.  Leaks show as LeakSanitizer reports when workers exit, crashes as
# the master's [alert]: the harness fails the file on either.  In a plain
# build the header must do nothing at all.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use FindBin;
use Digest::MD5 ();
use MIME::Base64 qw(encode_base64);
use FeatFake;
use FeatTest;
use Test::More;

my $FAULT = `${\ FeatTest::builddir()}/featcgi -v` =~ /\(fault-injection\)/;
my $MAX_N = 200;
my @TABLES = qw(users sessions session_rotated codes feedback push_client
    permits service_project service_bid push push_target pay_product
    pay_order pay_transaction audit apns_device open_bindings managers
    app_settings feedback_reply faq outbox);

my %conf = ('code.resend_interval' => 0, 'code.hourly_limit' => 1000000,
    'code.daily_limit' => 1000000, 'code.ip_hourly_limit' => 1000000,
    'login.ip_max_failures' => 1000000, 'login.max_failures' => 1000000);

my $t = FeatTest->new(%conf);
my ($st, $h, $j);
my $phone_no = 0;

sub next_phone { return sprintf('135%08d', ++$phone_no) }

# Every row of the tables the requests write: { table => [ row JSON ] }.
sub snapshot {
    my ($tt) = @_;

    return { map {
        my $tbl = $_;
        ($tbl => [ map { FeatTest::json()->encode($_) } @{ $tt->db_rows(
            "SELECT * FROM $tbl") } ]);
    } @TABLES };
}

# Asserts that two snapshots are equal; a difference shows only its rows.
sub same_tables {
    my ($before, $after, $label) = @_;
    my @diff;

    for my $tbl (@TABLES) {
        my %b = map { $_ => 1 } @{ $before->{$tbl} };
        my %a = map { $_ => 1 } @{ $after->{$tbl} };
        push @diff, map { "$tbl gone: $_" } grep { !$a{$_} } keys %b;
        push @diff, map { "$tbl new: $_" } grep { !$b{$_} } keys %a;
    }
    ok(!@diff, $label) or diag(join("\n", @diff));
}

# How many times the log says a fault fired, and how many times a caller
# let a failed step pass on purpose: the best-effort writes after a login
# that succeeded (clearing its failures, taking back the address's
# reservation, storing a stronger hash) and
# after a code went out (retiring the older ones, which the check ignores
# anyway: it reads the newest code only), and the counts of the devices a
# queued push leaves out, which only inform its log line.
sub fired {
    my @l = $t->log_lines('featcgi-error.log');

    return (scalar(grep { /fault injected in sqlite3_step/ } @l),
        scalar(grep { /login failures not cleared|login attempt not taken back|password rehash not stored|older codes not retired|devices left out not counted/ }
            @l));
}

# ---- a build without fault injection: the header is inert ------------------

if (!$FAULT) {
    my $p = next_phone();
    my %fh = ('X-Feat-Fault-Step' => 1, 'X-Feat-Fault-Curl' => 1);

    ($st, $h, $j) = $t->post('/api/auth/send_code', { account => $p }, {%fh});
    is($j->{code}, 0, 'plain build: send_code with X-Feat-Fault-Step: 1: 0');
    my $code = $t->code_for($p);
    ($st, $h, $j) = $t->post('/api/auth/register',
        { account => $p, code => $code, password => 'secret-1' }, {%fh});
    is($st, 200, 'plain build: register with X-Feat-Fault-Step: 1: 200');
    is($j->{code}, 0, '... code 0');
    is($t->db_value('SELECT count(*) FROM users WHERE phone = ?', $p), 1,
        '... and its user is stored');
    is((fired())[0], 0, '... no fault was injected');
    $t->stop;
    done_testing;
    exit 0;
}

# ---- the well-formed failures, by dialect ---------------------------------

# Answers (ok, why): whether a failed answer has its dialect's form.
my %FORM = (
    v2 => sub {
        my ($s, $d) = @_;
        return (0, 'not a JSON object') if ref($d) ne 'HASH';
        return (1) if $s == 200 && ($d->{code} // 0) =~ /^[1-9]\d*$/
            && defined $d->{message};
        return (1) if $s == 500 && ($d->{code} // 0) == 10000;
        return (0, "HTTP $s code " . ($d->{code} // 'none'));
    },
    feat => sub {
        my ($s, $d) = @_;
        return (0, 'not a JSON object') if ref($d) ne 'HASH';
        return (1) if $s >= 400 && $s <= 599 && defined $d->{detail}
            && !ref($d->{code}) && ($d->{code} // '') =~ /^[a-z_]+$/;
        return (0, "HTTP $s");
    },
    # WeChat's notify: its failure form, 500 so that WeChat sends it again
    wxnotify => sub {
        my ($s, $d) = @_;
        return (1) if $s == 500 && !ref($d)
            && $d =~ m{<return_code><!\[CDATA\[FAIL\]\]>};
        return (0, "HTTP $s");
    },
    # Alipay's notify: its "failure", 500 so that Alipay sends it again
    alinotify => sub {
        my ($s, $d) = @_;
        return (1) if $s == 500 && !ref($d) && $d eq 'failure';
        return (0, "HTTP $s");
    },
    admin => sub {
        my ($s, $d) = @_;
        return (0, 'not a JSON object') if ref($d) ne 'HASH';
        return (1) if $s >= 400 && $s <= 599 && ref($d->{error}) eq 'HASH'
            && ($d->{error}{code} // '') =~ /^[a-z_]+$/
            && defined $d->{error}{message};
        return (0, "HTTP $s");
    },
    oauth2 => sub {
        my ($s, $d) = @_;
        return (0, 'not a JSON object') if ref($d) ne 'HASH';
        return (1) if ($s == 400 || $s == 401)
            && ($d->{error} // '') =~ /^[a-z_]+$/;
        return (1) if $s == 500 && ($d->{error} // '') eq 'server_error'
            && defined $d->{error_description};
        return (0, "HTTP $s");
    },
);

# Walks N = 1, 2, ... for one request:
#   setup  => sub { fresh preconditions: answers a context }
#   send   => sub { ($ctx, \%headers): answers ($st, $h, $data) }
#   ok     => sub { ($st, $data): the request succeeded }
#   after  => sub { ($ctx): more checks after a failed answer } (optional)
sub walk {
    my ($name, $dialect, %a) = @_;
    my %seen;

    for my $n (1 .. $MAX_N) {
        my $ctx = $a{setup}->();
        my $before = snapshot($t);
        my ($fired, $spared) = fired();
        my ($s, undef, $d) = $a{send}->($ctx, { 'X-Feat-Fault-Step' => $n });
        my ($fired2, $spared2) = fired();
        my $hit = $fired2 > $fired;

        if ($a{ok}->($s, $d) && $hit) {
            # A success after a failed step: only a best-effort write may
            # swallow it, and says so; then the walk goes on.
            ok($spared2 > $spared, "$name: N=$n: a success after a failed "
                . 'step only where the step was best-effort')
                or diag("$name: fault $n fired but the answer was $s "
                    . FeatTest::json()->encode($d));
            $a{spared}->($ctx) if $a{spared};
            next;
        }

        if ($a{ok}->($s, $d)) {
            note("$name: failed answers: "
                . join(', ', map { "$_ x$seen{$_}" } sort keys %seen));
            ok($n > 1, "$name: N=$n succeeded without a fault, the first "
                . 'ones failed');
            return;
        }

        my ($form, $why) = $FORM{$dialect}->($s, $d);
        ok($form, "$name: N=$n: a well-formed $dialect error")
            or diag("$name: N=$n: $why: " . FeatTest::json()->encode($d));
        ok($hit, "$name: N=$n: failed by the injected fault")
            or diag("$name: N=$n: $s " . FeatTest::json()->encode($d));
        same_tables($before, snapshot($t), "$name: N=$n: nothing written");
        $a{after}->($ctx) if $a{after};
        $seen{ $s . '/' . ($d->{code} // $d->{error} // '') }++
            if ref($d) eq 'HASH';
    }
    fail("$name: still failing at N=$MAX_N");
}

sub v2_ok { my ($s, $d) = @_; return $s == 200 && ref($d) eq 'HASH'
    && defined $d->{code} && $d->{code} == 0 }

# A fresh v2 user: { phone, password, access_token, refresh_token }.
sub v2_user {
    my $p = next_phone();
    my $d = $t->register_v2($p, 'secret-1');

    return { phone => $p, password => 'secret-1', %$d };
}

# ---- v2 accounts ------------------------------------------------------------

# Each time with an older code out, which must never count again once a
# newer one was sent, even when retiring it failed.
walk('v2 send_code', 'v2',
    setup => sub {
        my $p = next_phone();
        my ($s, undef, $d) = $t->post('/api/auth/send_code',
            { account => $p });
        die "send_code: $s" if !v2_ok($s, $d);
        return { phone => $p, old => $t->code_for($p) };
    },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post('/api/auth/send_code', { account => $c->{phone} },
            $hd);
    },
    ok => \&v2_ok,
    spared => sub {
        my ($c) = @_;
        my $new = $t->code_for($c->{phone});
        my ($s, undef, $d) = $t->post('/api/auth/register', { account =>
            $c->{phone}, code => $new, password => 'secret-1' });
        ok(v2_ok($s, $d), 'v2 send_code: the new code registers');
        ($s, undef, $d) = $t->post('/api/auth/check_code',
            { account => $c->{phone}, code => $c->{old},
              purpose => 'register' });
        is($d->{code}, 10008, '... and the unretired older code is refused')
            if $c->{old} ne $new;
    });

walk('v2 register', 'v2',
    setup => sub {
        my $p = next_phone();
        my ($s, undef, $d) = $t->post('/api/auth/send_code',
            { account => $p });
        die "send_code: $s" if !v2_ok($s, $d);
        return { phone => $p, code => $t->code_for($p) };
    },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post('/api/auth/register', { account => $c->{phone},
            code => $c->{code}, password => 'secret-1' }, $hd);
    },
    ok => \&v2_ok,
    after => sub {
        my ($c) = @_;
        # The code was not consumed: it still registers.
        my ($s, undef, $d) = $t->post('/api/auth/register',
            { account => $c->{phone}, code => $c->{code},
              password => 'secret-1' });
        ok(v2_ok($s, $d), "v2 register: the code still works after a fault");
    });

walk('v2 access_token', 'v2',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        return $t->post('/api/auth/access_token',
            { account => $u->{phone}, password => $u->{password} }, $hd);
    },
    ok => \&v2_ok);

walk('v2 refresh_token', 'v2',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        return $t->post('/api/auth/refresh_token',
            { refresh_token => $u->{refresh_token} }, $hd);
    },
    ok => \&v2_ok,
    after => sub {
        my ($u) = @_;
        my ($s, undef, $d) = $t->post('/api/auth/refresh_token',
            { refresh_token => $u->{refresh_token} });
        ok(v2_ok($s, $d),
            'v2 refresh_token: the old refresh token works after a fault');
    });

walk('v2 destroy_token', 'v2',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        return $t->post('/api/auth/destroy_token', undef,
            { %$hd, -token => $u->{access_token} });
    },
    ok => \&v2_ok,
    after => sub {
        my ($u) = @_;
        my ($s, undef, $d) = $t->get('/api/personal/info',
            { -token => $u->{access_token} });
        ok(v2_ok($s, $d), 'v2 destroy_token: the token still works');
    });

# ---- v2 content -------------------------------------------------------------

my $k = 0;

walk('v2 PUT /api/personal/info', 'v2',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        $k++;
        return $t->put('/api/personal/info', { nickname => "nick$k",
            gender => 1, birthday => '1991-03-08', address => "addr $k" },
            { %$hd, -token => $u->{access_token} });
    },
    ok => \&v2_ok);

walk('v2 POST /api/feedback', 'v2',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        $k++;
        return $t->post('/api/feedback', { feedback_content => "fb $k",
            contact_phone => '18656660930' },
            { %$hd, -token => $u->{access_token} });
    },
    ok => \&v2_ok);

walk('v2 POST /api/push/bind', 'v2',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        $k++;
        return $t->post('/api/push/bind', { client_id => "cid-$k",
            client_type => 'android' },
            { %$hd, -token => $u->{access_token} });
    },
    ok => \&v2_ok);

# ---- account deletion (issue 12): all of it or nothing --------------------

# A v2 user with a push client, an APNs token and feedback to erase.
sub full_user {
    my $u = v2_user();

    $k++;
    my ($s, undef, $d) = $t->post('/api/push/bind', { client_id =>
        "del-$k", client_type => 'ios' }, { -token => $u->{access_token} });
    die "push/bind: $s" if !v2_ok($s, $d);
    ($s) = $t->put('/api/user/apns-device-token/', { device_token =>
        sprintf('%064x', $k) }, { -token => $u->{access_token} });
    die "apns token: $s" if $s != 200;
    ($s, undef, $d) = $t->post('/api/feedback', { feedback_content => 'fb',
        contact_phone => $u->{phone} }, { -token => $u->{access_token} });
    die "feedback: $s" if !v2_ok($s, $d);
    return $u;
}

sub still_there {
    my ($u, $label) = @_;
    my ($s, undef, $d) = $t->get('/api/personal/info',
        { -token => $u->{access_token} });
    ok(v2_ok($s, $d) && $d->{data}{phone} eq $u->{phone},
        "$label: the user is still whole after a fault");
}

walk('v2 POST /api/personal/delete', 'v2',
    setup => \&full_user,
    send => sub {
        my ($u, $hd) = @_;
        return $t->post('/api/personal/delete',
            { password => $u->{password} },
            { %$hd, -token => $u->{access_token} });
    },
    ok => \&v2_ok,
    after => sub { still_there($_[0], 'v2 delete') });

walk('feat DELETE /api/user/profile/ with a code', 'feat',
    setup => sub {
        my $u = full_user();
        my ($s) = $t->post('/api/auth/phone/vcode/',
            { phone => $u->{phone}, form_id => 'delete' });
        die "vcode: $s" if $s != 200;
        $u->{code} = $t->code_for($u->{phone});
        return $u;
    },
    send => sub {
        my ($u, $hd) = @_;
        return $t->delete('/api/user/profile/', { code => $u->{code} },
            { %$hd, -token => $u->{access_token} });
    },
    ok => sub { my ($s) = @_; return $s == 204 },
    after => sub { still_there($_[0], 'feat delete') });

# ---- feat register with a permit --------------------------------------------

walk('feat register', 'feat',
    setup => sub {
        my $p = next_phone();
        my ($s, undef, $d) = $t->post('/api/auth/phone/vcode/',
            { phone => $p, form_id => 'register' });
        die "vcode: $s" if $s != 200;
        ($s, undef, $d) = $t->post('/api/auth/phone/verification/',
            { phone => $p, vcode => $t->code_for($p), form_id => 'register' });
        die "verification: $s" if $s != 200;
        return { phone => $p, permit => $d->{data}{permit_token} };
    },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post('/api/auth/register/', { phone => $c->{phone},
            password => 'secret-1', permit_token => $c->{permit} }, $hd);
    },
    ok => sub { my ($s, $d) = @_; return $s == 201 },
    after => sub {
        my ($c) = @_;
        my ($s) = $t->post('/api/auth/register/', { phone => $c->{phone},
            password => 'secret-1', permit_token => $c->{permit} });
        is($s, 201, 'feat register: the permit still works after a fault');
    });

# ---- feat service marketplace -----------------------------------------------

sub feat_created { my ($s, $d) = @_; return $s == 201 && ref($d) eq 'HASH'
    && ref($d->{data}) eq 'HASH' }
sub feat_ok { my ($s, $d) = @_; return $s == 200 && ref($d) eq 'HASH'
    && ref($d->{data}) eq 'HASH' }

# A feat time a day ahead in the test zone (Asia/Shanghai).
sub day_ahead {
    my @g = gmtime(time + 86400 + 8 * 3600);
    return sprintf('%04d-%02d-%02dT%02d:%02d:%02d+08:00', $g[5] + 1900,
        $g[4] + 1, @g[3, 2, 1, 0]);
}

# A project of a fresh owner, taken to OPEN (with a bid of a fresh bidder)
# or CLOSED as asked: { owner, bidder, id, bid }.
sub service_project {
    my ($state) = @_;
    my $o = v2_user();
    my ($s, undef, $d) = $t->post('/api/service/project/', { title => 'T',
        description => 'D', budget_fen => 100, close_at => day_ahead() },
        { -token => $o->{access_token} });
    die "create: $s" if $s != 201;
    my $c = { owner => $o, id => $d->{data}{id} };
    return $c if $state eq 'DRAFT';
    ($s) = $t->post("/api/service/project/$c->{id}/publish/", undef,
        { -token => $o->{access_token} });
    die "publish: $s" if $s != 200;
    $c->{bidder} = v2_user();
    return $c if $state eq 'OPEN';
    ($s, undef, $d) = $t->post("/api/service/project/$c->{id}/bids/",
        { price_fen => 5 }, { -token => $c->{bidder}{access_token} });
    die "bid: $s" if $s != 201;
    $c->{bid} = $d->{data}{id};
    ($s) = $t->post("/api/service/project/$c->{id}/close/", undef,
        { -token => $o->{access_token} });
    die "close: $s" if $s != 200;
    return $c;
}

walk('feat POST /api/service/project/', 'feat',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        return $t->post('/api/service/project/', { title => 'T',
            description => 'D', budget_fen => 100, close_at => day_ahead() },
            { %$hd, -token => $u->{access_token} });
    },
    ok => \&feat_created);

walk('feat publish', 'feat',
    setup => sub { service_project('DRAFT') },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post("/api/service/project/$c->{id}/publish/", undef,
            { %$hd, -token => $c->{owner}{access_token} });
    },
    ok => \&feat_ok);

walk('feat bid', 'feat',
    setup => sub { service_project('OPEN') },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post("/api/service/project/$c->{id}/bids/",
            { price_fen => 7, message => 'm' },
            { %$hd, -token => $c->{bidder}{access_token} });
    },
    ok => \&feat_created);

walk('feat close', 'feat',
    setup => sub {
        my $c = service_project('OPEN');
        my ($s) = $t->post("/api/service/project/$c->{id}/bids/",
            { price_fen => 7 }, { -token => $c->{bidder}{access_token} });
        die "bid: $s" if $s != 201;
        return $c;
    },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post("/api/service/project/$c->{id}/close/", undef,
            { %$hd, -token => $c->{owner}{access_token} });
    },
    ok => \&feat_ok);

walk('feat select-winner', 'feat',
    setup => sub { service_project('CLOSED') },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post("/api/service/project/$c->{id}/select-winner/",
            { bid_id => $c->{bid} },
            { %$hd, -token => $c->{owner}{access_token} });
    },
    ok => \&feat_ok);

walk('feat cancel', 'feat',
    setup => sub { service_project('CLOSED') },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post("/api/service/project/$c->{id}/cancel/", undef,
            { %$hd, -token => $c->{owner}{access_token} });
    },
    ok => \&feat_ok);

# ---- feat payments: orders -------------------------------------------------

my ($prc, $pout, $perr) = $t->featctl('--json', 'product', 'add', '--name',
    'P', '--price-fen', 100);
is($prc, 0, 'featctl product add') or diag($perr);
my $product = FeatTest::json()->decode($pout)->{id};

walk('feat POST /api/pay/order/ (product)', 'feat',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        return $t->post('/api/pay/order/', { product_id => $product,
            quantity => 2 }, { %$hd, -token => $u->{access_token} });
    },
    ok => \&feat_created);

# A COMPLETED project whose first order has expired, still UNPAID in the
# table: the new order stores that one CLOSED first.  The jobs process is
# held meanwhile: its sweep would close those expired orders itself, in
# the middle of a walk, between its two snapshots.
my $held_jobs = $t->jobs_pid // die 'no jobs process to hold';
kill 'STOP', $held_jobs;
walk('feat POST /api/pay/order/ (project)', 'feat',
    setup => sub {
        my $c = service_project('CLOSED');
        my ($s) = $t->post("/api/service/project/$c->{id}/select-winner/",
            { bid_id => $c->{bid} }, { -token => $c->{owner}{access_token} });
        die "select-winner: $s" if $s != 200;
        my (undef, undef, $d) = $t->post('/api/pay/order/',
            { project_id => $c->{id} },
            { -token => $c->{owner}{access_token} });
        die 'first order' if ref($d) ne 'HASH' || !$d->{data}{id};
        $t->dbh->do('UPDATE pay_order SET expires_at = ? WHERE id = ?',
            undef, time - 1, $d->{data}{id});
        return $c;
    },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post('/api/pay/order/', { project_id => $c->{id} },
            { %$hd, -token => $c->{owner}{access_token} });
    },
    ok => \&feat_created);

# The walk's refused attempts leave their expired first orders UNPAID, and
# the jobs process's sweep would close them in the middle of a later walk,
# between its two snapshots.  Close them now, as the sweep would.
$t->dbh->do('UPDATE pay_order SET status = 200, closed_at = expires_at,'
    . ' updated_at = ? WHERE status = 0 AND expires_at <= ?',
    undef, time, time);
kill 'CONT', $held_jobs;

# ---- feat payments: paying through a fake WeChat Pay ----------------------

{
    my $gwdir = $t->dir;
    my ($wx_pid, $wx_port) = FeatFake::start('weixin.pl', 600,
        '--merchant', '1486158932=fault-injection-key', '--appid', 'wxfault',
        '--log', "$gwdir/weixin.log");
    my ($rc2, undef, $err2) = $t->featctl('app', 'set', '',
        'weixin.mch_id=1486158932', 'weixin.key=fault-injection-key',
        'weixin.appid.official_account=wxfault',
        "weixin.gateway=http://127.0.0.1:$wx_port",
        'accounts.default_scopes=read write pay_trade_order');
    is($rc2, 0, 'featctl app set weixin.*') or diag($err2);
    ok($t->wait_for(sub { my $u = v2_user(); $t->db_value('SELECT scope'
        . ' FROM sessions ORDER BY id DESC LIMIT 1') =~ /pay_trade_order/ }),
        'new sessions carry pay_trade_order');
    # every worker rechecks the settings once the second it last checked
    # in is over
    select(undef, undef, undef, 1.1);

    walk('feat POST /api/pay/order/pay/', 'feat',
        setup => sub {
            my $u = v2_user();
            my ($s, undef, $d) = $t->post('/api/pay/order/',
                { product_id => $product },
                { -token => $u->{access_token} });
            die "order: $s" if $s != 201;
            return { user => $u, id => $d->{data}{id} };
        },
        send => sub {
            my ($c, $hd) = @_;
            return $t->post('/api/pay/order/pay/', { order_id => $c->{id},
                pay_method => 200, end_type => 0 },
                { %$hd, -token => $c->{user}{access_token} });
        },
        ok => \&feat_ok);

    # a good notify of a fresh order, signed with the merchant's key
    walk('POST /api/pay/notify/weixin/', 'wxnotify',
        setup => sub {
            my $u = v2_user();
            my ($s, undef, $d) = $t->post('/api/pay/order/',
                { product_id => $product },
                { -token => $u->{access_token} });
            die "order: $s" if $s != 201;
            my $o = $d->{data};
            my %p = (appid => 'wxfault', mch_id => '1486158932',
                nonce_str => 'abc', result_code => 'SUCCESS',
                return_code => 'SUCCESS', total_fee => $o->{amount_fen},
                transaction_id => "42$o->{id}", out_trade_no =>
                $o->{out_trade_no});
            $p{sign} = uc(Digest::MD5::md5_hex(join('&', map { "$_=$p{$_}" }
                sort keys %p) . '&key=fault-injection-key'));
            return '<xml>' . join('', map { "<$_><![CDATA[$p{$_}]]></$_>" }
                sort keys %p) . '</xml>';
        },
        send => sub {
            my ($xml, $hd) = @_;
            return $t->post('/api/pay/notify/weixin/', $xml,
                { %$hd, 'Content-Type' => 'text/xml' });
        },
        ok => sub { my ($s, $d) = @_; return $s == 200 && !ref($d)
            && $d =~ m{<return_code><!\[CDATA\[SUCCESS\]\]>} });

    FeatFake::stop($wx_pid);
}

# ---- feat payments: Alipay's notify -----------------------------------------

{
    my $kd = $t->dir;
    for my $who (qw(app alipay)) {
        system("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048"
            . " -out '$kd/fi-$who.pem' 2>/dev/null") == 0
            && system('openssl', 'pkey', '-in', "$kd/fi-$who.pem", '-pubout',
                '-out', "$kd/fi-$who.pub") == 0
            or BAIL_OUT('openssl genpkey failed');
    }
    my ($rc2, undef, $err2) = $t->featctl('app', 'set', '',
        'alipay.app_id=2021000000000009',
        "alipay.private_key=\@$kd/fi-app.pem",
        "alipay.public_key=\@$kd/fi-alipay.pub");
    is($rc2, 0, 'featctl app set alipay.*') or diag($err2);
    select(undef, undef, undef, 1.1);

    # a good notify of a fresh order, signed with Alipay's key
    walk('POST /api/pay/notify/alipay/', 'alinotify',
        setup => sub {
            my $u = v2_user();
            my ($s, undef, $d) = $t->post('/api/pay/order/',
                { product_id => $product },
                { -token => $u->{access_token} });
            die "order: $s" if $s != 201;
            my $o = $d->{data};
            my %p = (app_id => '2021000000000009', sign_type => 'RSA2',
                notify_type => 'trade_status_sync',
                trade_status => 'TRADE_SUCCESS', trade_no => "2026$o->{id}",
                out_trade_no => $o->{out_trade_no},
                total_amount => sprintf('%d.%02d', $o->{amount_fen} / 100,
                    $o->{amount_fen} % 100));
            my $text = join('&', map { "$_=$p{$_}" }
                grep { $_ ne 'sign_type' } sort keys %p);
            open(my $fh, '>', "$kd/fi-text") or die "$kd/fi-text: $!";
            print {$fh} $text;
            close($fh);
            my $cmd = "openssl dgst -sha256 -sign '$kd/fi-alipay.pem'"
                . " '$kd/fi-text'";
            my $sig = `$cmd`;
            $p{sign} = encode_base64($sig, '');
            return join('&', map { my $v = $p{$_};
                $v =~ s/([^A-Za-z0-9\-._~])/sprintf('%%%02X', ord($1))/ge;
                "$_=$v" } sort keys %p);
        },
        send => sub {
            my ($form, $hd) = @_;
            return $t->post('/api/pay/notify/alipay/', $form,
                { %$hd, 'Content-Type' =>
                    'application/x-www-form-urlencoded' });
        },
        ok => sub { my ($s, $d) = @_; return $s == 200 && !ref($d)
            && $d eq 'success' });
}

# ---- OAuth2 password grant --------------------------------------------------

my ($rc, $out, $err) = $t->featctl('--json', 'oauth-client', 'add', 'mobile',
    '--grants', 'password refresh_token', '--scopes', 'read write');
is($rc, 0, 'featctl oauth-client add') or diag($err);
my $client = FeatTest::json()->decode($out);
my $basic = 'Basic ' . encode_base64(
    "$client->{client_id}:$client->{client_secret}", '');

walk('/o/token/ password', 'oauth2',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        return $t->post('/o/token/', "grant_type=password&username="
            . "$u->{phone}&password=$u->{password}&device_id=dev-1",
            { %$hd, Authorization => $basic,
              'Content-Type' => 'application/x-www-form-urlencoded' });
    },
    ok => sub { my ($s, $d) = @_; return $s == 200
        && ref($d) eq 'HASH' && defined $d->{access_token} });

# ---- the console's API (admin) --------------------------------------------

# A failed sign-in leaves no session; the sessions' last_seen moves with
# every call, so the table is counted, not compared.
$t->admin_manager(login => 'fault', all_apps => 1);
my $admin = $t->admin_login(login => 'fault');
my $admin_sessions = sub {
    return $t->db_value('SELECT count(*) FROM admin_sessions');
};

walk('admin POST /admin/api/session', 'admin',
    setup => sub { return { sessions => $admin_sessions->() } },
    send => sub {
        my ($c, $hd) = @_;
        return $t->post('/admin/api/session',
            { login => 'fault', password => 'admin-pw-1' }, $hd);
    },
    ok => sub { return $_[0] == 200 },
    after => sub {
        is($admin_sessions->(), $_[0]{sessions},
            'admin sign-in: no session after a fault');
    });

walk('admin POST users/{id}/disable', 'admin',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        my $id = $t->db_value('SELECT id FROM users WHERE phone = ?',
            $u->{phone});
        return $admin->post("/admin/api/apps/~/users/$id/disable", {}, $hd);
    },
    ok => sub { return $_[0] == 200 });

walk('admin DELETE users/{id}', 'admin',
    setup => \&v2_user,
    send => sub {
        my ($u, $hd) = @_;
        my $id = $t->db_value('SELECT id FROM users WHERE phone = ?',
            $u->{phone});
        return $admin->delete("/admin/api/apps/~/users/$id",
            { confirm => "$id" }, $hd);
    },
    ok => sub { return $_[0] == 204 });

my $ttl = 600;
walk('admin PUT settings', 'admin',
    setup => sub { return { ttl => $ttl++ } },
    send => sub {
        my ($c, $hd) = @_;
        return $admin->put('/admin/api/apps/~/settings',
            { 'pay.order_ttl' => $c->{ttl}, 'weixin.key' => 'k' x 32 }, $hd);
    },
    ok => sub { return $_[0] == 200 });

# The content endpoints: each reads its answer inside the transaction of
# its change and its audit row, so a fault anywhere leaves none of them.

# A fresh user's feedback: { user, id }.
sub feedback_of_user {
    my $u = v2_user();
    my ($s, undef, $d) = $t->post('/api/feedback',
        { feedback_content => 'help' }, { -token => $u->{access_token} });
    die "feedback: $s" if !v2_ok($s, $d);
    return { user => $u, id => $d->{data}{id} };
}

walk('admin POST feedback/{id}/replies', 'admin',
    setup => \&feedback_of_user,
    send => sub {
        my ($c, $hd) = @_;
        return $admin->post("/admin/api/apps/~/feedback/$c->{id}/replies",
            { content => 'on it' }, $hd);
    },
    ok => sub { return $_[0] == 201 });

walk('admin POST feedback/{id}/close', 'admin',
    setup => \&feedback_of_user,
    send => sub {
        my ($c, $hd) = @_;
        return $admin->post("/admin/api/apps/~/feedback/$c->{id}/close",
            undef, $hd);
    },
    ok => sub { return $_[0] == 200 });

walk('admin POST faq', 'admin',
    setup => sub { return {} },
    send => sub {
        my ($c, $hd) = @_;
        $k++;
        return $admin->post('/admin/api/apps/~/faq',
            { title => "q $k", content => 'a' }, $hd);
    },
    ok => sub { return $_[0] == 201 });

walk('admin POST pushes', 'admin',
    setup => sub {
        my $u = v2_user();
        $k++;
        my ($s, undef, $d) = $t->post('/api/push/bind',
            { client_id => "cid-admin-$k", client_type => 'ios' },
            { -token => $u->{access_token} });
        die "bind: $s" if !v2_ok($s, $d);
        return { uid => $t->db_value('SELECT id FROM users WHERE phone = ?',
            $u->{phone}) };
    },
    send => sub {
        my ($c, $hd) = @_;
        return $admin->post('/admin/api/apps/~/pushes',
            { title => 't', body => 'b', to => [ $c->{uid} ] }, $hd);
    },
    ok => sub { return $_[0] == 201 });

walk('admin POST projects/{id}/takedown', 'admin',
    setup => sub {
        my $c = service_project('OPEN');
        my ($s) = $t->post("/api/service/project/$c->{id}/bids/",
            { price_fen => 7 }, { -token => $c->{bidder}{access_token} });
        die "bid: $s" if $s != 201;
        return $c;
    },
    send => sub {
        my ($c, $hd) = @_;
        return $admin->post("/admin/api/apps/~/projects/$c->{id}/takedown",
            { note => 'against the rules' }, $hd);
    },
    ok => sub { return $_[0] == 200 });

# ---- X-Feat-Fault-Curl: the SMS gateway call of send_code -------------------

$t->stop;

{
    my $gwlog = "$t->{dir}-gateway.log";
    my $gw = open(my $gwout, '-|', $^X,
        "$FindBin::Bin/fake/sms-gateway.pl", '--ttl',
        120, '--log', $gwlog, '--key', 'fault-key') or die "gateway: $!";
    chomp(my $port = <$gwout> // '');
    my $t3 = FeatTest->new(%conf, 'sms.provider' => 'http',
        'sms.http_url' => "http://127.0.0.1:$port/v1/sms",
        'sms.http_key' => 'fault-key', 'sms.http_timeout' => 5000);
    my $p = sprintf('137%08d', 1);
    my $before = snapshot($t3);

    ($st, $h, $j) = $t3->post('/api/auth/send_code', { account => $p },
        { 'X-Feat-Fault-Curl' => 1 });
    my ($form, $why) = $FORM{v2}->($st, $j);
    ok($form && $j->{code} != 0,
        'X-Feat-Fault-Curl: 1: send_code answers a v2 error') or diag($why);
    same_tables($before, snapshot($t3), '... and stores no code');
    ok(!-s $gwlog, '... and the gateway heard nothing');
    ($st, $h, $j) = $t3->post('/api/auth/send_code', { account => $p },
        { 'X-Feat-Fault-Curl' => 2 });
    is($j->{code}, 0, 'X-Feat-Fault-Curl: 2 (after its only call): 0');
    $t3->stop;
    kill('TERM', $gw);
    waitpid($gw, 0);
    unlink($gwlog);
}

# ---- the header obeys testing = on only -------------------------------------

my $t2 = FeatTest->new(%conf, testing => 'off');
{
    my $p = sprintf('136%08d', 1);
    my %fh = ('X-Feat-Fault-Step' => 1);

    ($st, $h, $j) = $t2->post('/api/auth/send_code', { account => $p }, {%fh});
    is($j->{code}, 0, 'testing off: send_code with X-Feat-Fault-Step: 1: 0');
    ($st, $h, $j) = $t2->post('/api/auth/register',
        { account => $p, code => $t2->code_for($p), password => 'secret-1' },
        {%fh});
    is($j->{code}, 0, 'testing off: register with the header: 0');
    is($t2->db_value('SELECT count(*) FROM users WHERE phone = ?', $p), 1,
        '... its user is stored');
    ok(!grep({ /fault injected/ } $t2->log_lines('featcgi-error.log')),
        '... no fault was injected');
}
$t2->stop;

done_testing;

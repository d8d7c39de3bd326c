#!/usr/bin/perl

# 50-appmove.t: an app moves between two installs (issue 14, "Data":
# featctl app export / import; featctl(8)).  The source keeps taking
# feedback from two writers while the app is exported: every write
# acknowledged before the export began is in the target after the import;
# the users log in there with their old passwords (their sessions stay
# behind), their images are served, every id is a fresh one of the target
# and every reference follows it, the secret setting opens under the
# target's secret, the source's other app and the target's own app are
# untouched, and a second import of the same app id is refused.  Of the
# console's managers, one signs in there with its old password; one with
# TOTP is disabled until it re-enrols.

use strict;
use warnings;

use lib 't/lib';
use Compress::Zlib qw(compress crc32);
use DBI;
use FeatTest;
use HTTP::Tiny;
use POSIX ();
use Test::More;
use Time::HiRes qw(sleep time);

my $src = FeatTest->new;
my $dst = FeatTest->new;
my $tmp = $src->dir;
my ($st, $h, $j, $rc, $out, $err);

# ---- helpers ---------------------------------------------------------------

sub png_chunk {
    my ($type, $data) = @_;

    return pack('N', length $data) . $type . $data
        . pack('N', crc32($type . $data));
}

# A w x h PNG of one grey level, so two images differ.
sub png {
    my ($w, $h, $grey) = @_;
    my $raw = join('', map { "\0" . (chr($grey) x $w) } 1 .. $h);

    return "\x89PNG\r\n\x1a\n"
        . png_chunk('IHDR', pack('NNCCCCC', $w, $h, 8, 0, 0, 0, 0))
        . png_chunk('IDAT', compress($raw))
        . png_chunk('IEND', '');
}

my $boundary = 'featMoveBoundary7MA4YWxkTrZu0gW';

sub upload {
    my ($t, $token, $png, %o) = @_;
    my $body = "--$boundary\r\nContent-Disposition: form-data; name=\"image\";"
        . " filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n$png\r\n"
        . "--$boundary--\r\n";

    return $t->post('/api/user/user-image/', $body,
        { -token => $token, %o,
          'Content-Type' => "multipart/form-data; boundary=$boundary" });
}

sub ctl_ok {
    my ($t, @args) = @_;
    my ($rc, $out, $err) = $t->featctl('--json', @args);

    is($rc, 0, "featctl @args: exit 0") or diag($err);
    return eval { FeatTest::json()->decode($out) } // {};
}

sub feedback {
    my ($t, $token, $content, %o) = @_;
    my ($st, $h, $j) = $t->post('/api/feedback',
        { feedback_content => $content }, { -token => $token, %o });

    return ref($j) eq 'HASH' && $j->{code} == 0 ? $j->{data} : undef;
}

# The rows of an app in the tables a move touches, for before/after.
sub snapshot {
    my ($t, $app) = @_;
    my %s;

    for my $table (qw(users feedback feedback_reply images managers faq
                      notices push push_target app_settings oauth2_client)) {
        $s{$table} = $t->db_rows(
            "SELECT * FROM $table WHERE app_id = ? ORDER BY 1, 2", $app);
    }
    $s{apps} = $t->db_rows('SELECT * FROM apps WHERE id = ?', $app);
    return \%s;
}

# ---- the source: app shop next to the default app ----------------------------

ctl_ok($src, 'app', 'add', 'shop');
my %pw = (13900000001 => 'first-pass', 13900000002 => 'second-pass');
my %tok;
for my $phone (sort keys %pw) {
    $tok{$phone} = $src->register_v2($phone, $pw{$phone},
        headers => { -app => 'shop' }, app => 'shop')->{access_token};
}
my $other = $src->register_v2('13900000009', 'other-pass')->{access_token};
ok(feedback($src, $other, 'the default app stays'), 'feedback in ""');

my $sid = { map { $_ => $src->db_value('SELECT id FROM users WHERE phone = ?'
    . q{ AND app_id = 'shop'}, $_) } keys %pw };

my $desk = ctl_ok($src, 'manager', 'add', 'desk', '--app', 'shop');
ctl_ok($src, 'faq', 'add', '--title', 'How?', '--app', 'shop');
ctl_ok($src, 'notice', 'add', '--title', 'Sale', '--app', 'shop');
ctl_ok($src, 'feedback-category', 'add', 'orders', '--app', 'shop');
ctl_ok($src, 'oauth-client', 'add', 'ios', '--app', 'shop');
ctl_ok($src, 'app', 'set', 'shop', 'weixin.key=0123456789abcdef0123456789abcdef',
    'weixin.mch_id=1900000109');
my $first = feedback($src, $tok{13900000001}, 'first feedback', -app => 'shop');
ok($first, 'feedback in shop');
ctl_ok($src, 'feedback', 'reply', $first->{id}, 'thanks', '--app', 'shop');
ctl_ok($src, 'push', 'send', '--title', 'T', '--body', 'B', '--user',
    $sid->{13900000002}, '--app', 'shop');
# shop's console team: one signs in with a password, one with TOTP too
$src->admin_manager(login => 'clerk', app => 'shop');
$src->admin_manager(login => 'ops', app => 'shop', totp => 1);

my %png = (13900000001 => png(4, 3, 0x40), 13900000002 => png(2, 5, 0xc0));
for my $phone (sort keys %png) {
    ($st, $h, $j) = upload($src, $tok{$phone}, $png{$phone}, -app => 'shop');
    is($st, 201, "image of $phone: 201");
}

# ---- the target: its own default app ----------------------------------------

my $resident = $dst->register_v2('13900000001', 'resident-pass');
ok(feedback($dst, $resident->{access_token}, 'resident feedback'),
    'the target\'s own feedback');
($st) = upload($dst, $resident->{access_token}, png(3, 3, 0x80));
is($st, 201, 'the target\'s own image: 201');
my $dst_before = snapshot($dst, '');
my %dst_max = map { $_ => $dst->db_value("SELECT coalesce(max(id), 0)"
    . " FROM $_") } qw(users feedback feedback_reply images managers push);

# ---- export while two writers keep posting feedback to shop -------------------

my $stop = "$tmp/writers.stop";
my @writers;
for my $phone (sort keys %tok) {
    my $log = "$tmp/writer-$phone.log";
    my $pid = fork();
    die "fork: $!" if !defined $pid;
    if ($pid == 0) {
        open(my $fh, '>', $log) or POSIX::_exit(1);
        $fh->autoflush(1);
        for (my $i = 0; !-e $stop && $i < 100000; $i++) {
            my $content = "load $phone $i";
            my $f = feedback($src, $tok{$phone}, $content, -app => 'shop');
            # acknowledged: the answer is in hand, with its time
            printf {$fh} "%s\t%.6f\n", $content, time if $f;
        }
        close($fh);
        POSIX::_exit(0);
    }
    push @writers, [ $pid, $log ];
}

sleep(1.5);
my $src_other = snapshot($src, '');
my $archive = "$tmp/shop.app";
my $pass = "$tmp/pass";
open(my $pfh, '>', $pass) or die "$pass: $!";
print {$pfh} "a long passphrase for the move\n";
close($pfh);

my $t0 = time;
($rc, $out, $err) = $src->featctl('--json', 'app', 'export', 'shop', $archive,
    '--passphrase-file', $pass);
my $t1 = time;
is($rc, 0, 'export under load: exit 0') or diag($err);
my $exp = eval { FeatTest::json()->decode($out) } // {};
sleep(0.5);

open(my $sfh, '>', $stop) or die "$stop: $!";
close($sfh);
for my $w (@writers) {
    waitpid($w->[0], 0);
}

my (@before, @after);
for my $w (@writers) {
    open(my $fh, '<', $w->[1]) or die "$w->[1]: $!";
    while (my $line = <$fh>) {
        chomp $line;
        my ($content, $at) = split(/\t/, $line);
        if ($at < $t0) {
            push @before, $content;
        } elsif ($at > $t1) {
            push @after, $content;
        }
    }
}
cmp_ok(scalar @before, '>', 0, scalar(@before)
    . ' feedback acknowledged before the export began');
cmp_ok(scalar @after, '>', 0, scalar(@after)
    . ' acknowledged after it ended: the app kept serving');

is((stat($archive))[2] & 0777, 0600, 'the archive is 0600');
is($exp->{media}, 2, '... 2 media files');
is($exp->{secrets}, 1, '... 1 secret setting, under the passphrase');
is($exp->{rows}{users}, 2, '... 2 users');

{
    my $a = DBI->connect("dbi:SQLite:dbname=$archive", '', '',
        { RaiseError => 1, sqlite_unicode => 1 });
    my %meta = map { @$_ } @{ $a->selectall_arrayref(
        'SELECT key, value FROM meta') };
    is($meta{format}, 'featcgi-app-archive', 'meta: format');
    is($meta{app_id}, 'shop', 'meta: app_id');
    is($meta{schema_version}, $src->db_value(
        'SELECT max(version) FROM schema_version'), 'meta: schema version');
    my %tables = map { $_->[0] => 1 } @{ $a->selectall_arrayref(
        q{SELECT name FROM sqlite_schema WHERE type = 'table'}) };
    ok(!$tables{$_}, "no $_ in the archive")
        for qw(sessions codes permits rate_events outbox);
    is($a->selectrow_array(q{SELECT count(*) FROM users WHERE app_id <> 'shop'}),
        0, 'only shop\'s users');
    like($a->selectrow_array('SELECT password FROM users LIMIT 1'),
        qr/^\$scrypt\$/, 'the password hashes travel');
    unlike(join('', map { $_->[0] // '' } @{ $a->selectall_arrayref(
        'SELECT sealed FROM app_settings') }), qr/0123456789abcdef/,
        'the secret is not in the clear');
    my %have = map { $_->[0] => 1 } @{ $a->selectall_arrayref(
        'SELECT content FROM feedback') };
    is(scalar(grep { !$have{$_} } @before), 0,
        'every write acknowledged before the export is in the archive');
    $a->disconnect;
}

is_deeply(snapshot($src, ''), $src_other, 'the source\'s other app untouched');
is($src->db_value(q{SELECT count(*) FROM users WHERE app_id = 'shop'}), 2,
    'the source keeps its copy');

# ---- import into the target ------------------------------------------------

($rc, $out, $err) = $dst->featctl('app', 'import', $archive);
is($rc, 1, 'import without the passphrase: exit 1');
like($err, qr/secret setting sealed with a passphrase/, '... says why');
is($dst->db_value(q{SELECT count(*) FROM apps WHERE id = 'shop'}), 0,
    '... nothing stored');

my $imp = ctl_ok($dst, 'app', 'import', $archive, '--passphrase-file', $pass);
is($imp->{app_id}, 'shop', 'imported as shop');
is($imp->{media}, 2, '... 2 media files');
is($imp->{secrets}, 1, '... 1 secret setting');

# every acknowledged write arrived
my %moved = map { $_->{content} => 1 } @{ $dst->db_rows(
    q{SELECT content FROM feedback WHERE app_id = 'shop'}) };
is(scalar(grep { !$moved{$_} } @before), 0, 'all ' . scalar(@before)
    . ' writes acknowledged before the export are in the target');
ok($moved{'first feedback'}, '... and the first feedback');

# fresh ids, references followed
my $did = { map { $_ => $dst->db_value('SELECT id FROM users WHERE phone = ?'
    . q{ AND app_id = 'shop'}, $_) } keys %pw };
for my $phone (sort keys %pw) {
    cmp_ok($did->{$phone}, '>', $dst_max{users},
        "user $phone: a fresh id above the target's");
}
for my $table (qw(feedback feedback_reply images managers push)) {
    is($dst->db_value("SELECT count(*) FROM $table WHERE app_id = 'shop'"
        . " AND id <= ?", $dst_max{$table}), 0, "$table: fresh ids");
}
is($dst->db_value(q{SELECT count(*) FROM feedback f JOIN users u
    ON u.id = f.user_id WHERE f.app_id = 'shop' AND u.app_id <> 'shop'}), 0,
    'feedback points at shop\'s users');
is($dst->db_value(q{SELECT u.phone FROM feedback f JOIN users u
    ON u.id = f.user_id WHERE f.content = 'first feedback'}), '13900000001',
    '... at the same person');
is($dst->db_value(q{SELECT m.name FROM feedback_reply r JOIN managers m
    ON m.id = r.manager_id JOIN feedback f ON f.id = r.feedback_id
    WHERE f.content = 'first feedback'}), 'desk', 'the reply and its manager');
is($dst->db_value(q{SELECT t.user_id FROM push_target t JOIN push p
    ON p.id = t.push_id WHERE p.app_id = 'shop'}), $did->{13900000002},
    'the push target follows its user');
is($dst->db_value(q{PRAGMA foreign_key_check}), undef,
    'no dangling reference');

# the users log in with their old passwords; old sessions stay behind
($st, $h, $j) = $dst->get('/api/personal/info',
    { -token => $tok{13900000001}, -app => 'shop' });
isnt($j->{code}, 0, 'a session of the source does not work on the target');
my %new;
for my $phone (sort keys %pw) {
    ($st, $h, $j) = $dst->post('/api/auth/access_token',
        { account => $phone, password => $pw{$phone} }, { -app => 'shop' });
    is($j->{code}, 0, "$phone logs in on the target with the old password");
    $new{$phone} = $j->{data}{access_token};
}
($st, $h, $j) = $dst->post('/api/auth/access_token',
    { account => '13900000001', password => 'resident-pass' },
    { -app => 'shop' });
isnt($j->{code}, 0, '... the target\'s own user of that phone is not shop\'s');

# their images are served
for my $phone (sort keys %pw) {
    ($st, $h, $j) = $dst->get('/api/user/user-image/',
        { -token => $new{$phone}, -app => 'shop' });
    is($st, 200, "$phone lists the images on the target");
    my $img = $j->{data}{results}[0] // {};
    my $res = HTTP::Tiny->new(timeout => 30)->get($img->{url} // 'http://0/');
    is($res->{status}, 200, '... its URL answers 200');
    ok(($res->{content} // '') eq $png{$phone}, '... with the same bytes');
}

# the console team: the password travels, the TOTP secret does not
{
    my $c = $dst->admin_login(login => 'clerk');
    is($c->{manager}{app_id}, 'shop', 'clerk signs in to the target\'s'
        . ' console with the old password, in shop');
    my $ops = $dst->db_row(q{SELECT id, disabled, totp_secret FROM managers
        WHERE login = 'ops'});
    is_deeply([ @$ops{qw(disabled totp_secret)} ], [ 1, '' ],
        'ops: stored disabled, without a TOTP secret');
    is_deeply($imp->{managers_reenrol}, [ { id => $ops->{id},
        login => 'ops' } ], '... named to re-enrol');
    ($st, $h, $j) = $dst->post('/admin/api/session', { login => 'ops',
        password => 'admin-pw-1', totp => '000000' });
    isnt($st, 200, '... cannot sign in before it re-enrols');
    ok(!grep(/TOTP secret/, $dst->log_lines('featcgi-error.log')),
        '... and no secret was tried');

    my $uri = ctl_ok($dst, 'manager', 'totp', $ops->{id})->{uri};
    ctl_ok($dst, 'manager', 'enable', $ops->{id});
    my ($secret) = ($uri // '') =~ /[?&]secret=([A-Z2-7]+)/;
    $c = $dst->admin_login(login => 'ops',
        totp => FeatTest::totp_code($secret));
    is($c->{manager}{login}, 'ops', '... re-enrolled, it signs in');
}

# the secret opens under the target's secret
isnt($dst->db_value(q{SELECT hex(sealed) FROM app_settings
    WHERE app_id = 'shop' AND key = 'weixin.key'}),
    $src->db_value(q{SELECT hex(sealed) FROM app_settings
    WHERE app_id = 'shop' AND key = 'weixin.key'}),
    'weixin.key sealed again for the target');
is($dst->db_value(q{SELECT value FROM app_settings WHERE app_id = 'shop'
    AND key = 'weixin.mch_id'}), '1900000109', 'weixin.mch_id as it was');
ok(!grep(/does not open/, $dst->log_lines('featcgi-error.log')),
    'the target\'s pool opened shop\'s secrets');

# the target's own app untouched
is_deeply(snapshot($dst, ''), $dst_before, 'the target\'s own app untouched');

# a second import of the same app id is refused, nothing changes
my $dst_shop = snapshot($dst, 'shop');
($rc, $out, $err) = $dst->featctl('app', 'import', $archive,
    '--passphrase-file', $pass);
is($rc, 1, 'importing shop again: exit 1');
like($err, qr/app "shop" exists in this install.*--as/, '... says why');
is_deeply(snapshot($dst, 'shop'), $dst_shop, '... nothing changed');
($rc, $out, $err) = $dst->featctl('app', 'import', $archive, '--as',
    'shop2', '--passphrase-file', $pass);
is($rc, 1, 'the same managers again --as shop2: exit 1');
like($err, qr/manager logins "clerk", "ops" exist in this install/,
    '... the logins refused first');
($rc, $out, $err) = $dst->featctl('app', 'import', $archive, '--as',
    'shop2', '--passphrase-file', $pass, '--skip-existing-logins');
is($rc, 1, 'the same users again --as shop2: exit 1');
like($err, qr/imported into this install before/, '... says why');
is($dst->db_value(q{SELECT count(*) FROM apps WHERE id = 'shop2'}), 0,
    '... nothing stored');
is(scalar(() = glob($dst->dir . '/media/*/*.png')), 3,
    '... and no media file left behind');

# the control: the source's sealed value, as it was, does not open here
$dst->dbh->do(q{UPDATE app_settings SET sealed = ? WHERE app_id = 'shop'
    AND key = 'weixin.key'}, undef, $src->db_value(q{SELECT sealed
    FROM app_settings WHERE app_id = 'shop' AND key = 'weixin.key'}));
sleep(1.2);     # a process reads the settings version once a second
$dst->post('/api/auth/access_token',
    { account => '13900000001', password => $pw{13900000001} },
    { -app => 'shop' });
ok(grep(/"weixin.key" does not open/, $dst->log_lines('featcgi-error.log')),
    'control: the source\'s sealed value unchanged would not open');

$src->stop;
$dst->stop;
done_testing;

#!/usr/bin/perl

# t/10-account-delete.t: deleting an account (issue 12, "Users' rights"):
# v2 POST /api/personal/delete and feat DELETE /api/user/profile/ with a
# password or a "delete" code, and featctl user delete.  A user with a
# profile, an image (and its file), an open-id and an Alipay binding, a
# push client, an APNs token, feedback and two sessions is deleted; every
# table is checked after, old tokens (v2 and v1) are dead, the file is
# gone, the feedback stays without its phone, and the phone registers
# again as a new user.  Bad proofs change nothing and lock out as
# passwords do; featctl user export shows a user's rows.

use strict;
use warnings;
use utf8;

use lib 't/lib';
use Compress::Zlib qw(compress crc32);
use FeatAdmin;
use FeatTest;
use JSON::PP;
use Test::More;

my $t = FeatTest->new('code.ip_hourly_limit' => 1000,
    'code.resend_interval' => 0, 'login.ip_max_failures' => 1000,
    'login.max_failures' => 3);
my ($st, $h, $j);
my $boundary = 'featTestBoundary7MA4YWxkTrZu0gW';

sub api { return FeatAdmin::api($t, @_) }

sub png {
    my $chunk = sub {
        my ($type, $data) = @_;
        return pack('N', length $data) . $type . $data
            . pack('N', crc32($type . $data));
    };

    return "\x89PNG\r\n\x1a\n"
        . $chunk->('IHDR', pack('NNCCCCC', 2, 2, 8, 0, 0, 0, 0))
        . $chunk->('IDAT', compress(join('', ("\0" . ("\x80" x 2)) x 2)))
        . $chunk->('IEND', '');
}

# Gives $u everything an account can hold; answers what was made.
sub populate {
    my ($u) = @_;
    my %made;

    $j = api($u, 'PUT', '/api/personal/info', { nickname => '小红',
        avatar => 'https://cdn.example.com/a.png', birthday => '1990-01-02',
        address => '上海' });
    is($j->{code}, 0, "user $u->{id}: profile set");

    my $body = "--$boundary\r\nContent-Disposition: form-data; name=\"image\";"
        . " filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n" . png()
        . "\r\n--$boundary--\r\n";
    ($st, $h, $j) = $t->post('/api/user/user-image/', $body,
        { -token => $u->{token},
          'Content-Type' => "multipart/form-data; boundary=$boundary" });
    is($st, 201, "user $u->{id}: image uploaded");
    $made{relpath} = $t->db_value('SELECT relpath FROM images WHERE user_id = ?',
        $u->{id});
    ok(-f $t->dir . "/media/$made{relpath}", '... its file stored');

    ($st, $h, $j) = $t->get("/api/get_token?account=$u->{account}"
        . '&password=secret-pw-1');
    is($j->{code}, 0, "user $u->{id}: a v1 JWT");
    $made{jwt} = $j->{message}{token};
    ($st, $h, $j) = $t->post('/api/user/open',
        { open_id => "qq-$u->{id}", open_type => 1 },
        { Authorization => $made{jwt} });
    is($j->{code}, 0, '... an open-id binding');

    $t->dbh->do(q{INSERT INTO alipay_binding (app_id, user_id,
        alipay_user_id, created_at, updated_at) VALUES ('', ?, ?, 1, 1)},
        undef, $u->{id}, "2088$u->{id}");

    $j = api($u, 'POST', '/api/push/bind', { client_id => "cid-$u->{id}",
        client_type => 'android' });
    is($j->{code}, 0, '... a push client');
    ($st, $h, $j) = $t->put('/api/user/apns-device-token/',
        { device_token => 'ab' x 32 . sprintf('%04d', $u->{id}) },
        { -token => $u->{token} });
    is($st, 200, '... an APNs token') or diag(explain $j);

    $j = api($u, 'POST', '/api/feedback', { feedback_content => '反馈',
        contact_phone => $u->{account} });
    is($j->{code}, 0, '... feedback');
    $made{feedback} = $j->{data}{id};

    ($st, $h, $j) = $t->post('/api/auth/access_token',
        { account => $u->{account}, password => 'secret-pw-1' });
    is($j->{code}, 0, '... a second session');
    $made{token2} = $j->{data}{access_token};

    return \%made;
}

# What is left of user $id in each table.
sub left {
    my ($id) = @_;
    my %n;

    for my $table (qw(images open_bindings alipay_binding push_client
        apns_device sessions))
    {
        $n{$table} = $t->db_value("SELECT count(*) FROM $table"
            . ' WHERE user_id = ?', $id);
    }
    return \%n;
}

my $none = { images => 0, open_bindings => 0, alipay_binding => 0,
    push_client => 0, apns_device => 0, sessions => 0 };
my $all = { images => 1, open_bindings => 1, alipay_binding => 1,
    push_client => 1, apns_device => 1, sessions => 2 };

# ---- v2, password ------------------------------------------------------------

my $a = FeatAdmin::user($t, '13700000001');
my $made = populate($a);
is_deeply(left($a->{id}), $all, 'user A holds one of everything');

$j = api($a, 'POST', '/api/personal/delete', {});
is($j->{code}, 10005, 'delete without a proof: 10005');
is($j->{message}, '请求字段不合法', '... the seed\'s text');
$j = api($a, 'POST', '/api/personal/delete', { password => 'wrong-pw-1' });
is($j->{code}, 10007, 'delete with a wrong password: 10007');
is_deeply(left($a->{id}), $all, '... nothing deleted');
is($t->db_value('SELECT phone FROM users WHERE id = ?', $a->{id}),
    '13700000001', '... the phone kept');

$j = api($a, 'POST', '/api/personal/delete', { password => 'secret-pw-1' });
is($j->{code}, 0, 'delete with the password: 0');
is_deeply($j->{data}, {}, '... data {}');

my $row = $t->db_row('SELECT * FROM users WHERE id = ?', $a->{id});
is_deeply({ map { $_ => $row->{$_} } qw(area phone email username nickname
    avatar birthday address city password is_active role gender) },
    { area => '', phone => '', email => '', username => '', nickname => '',
      avatar => '', birthday => '', address => '', city => '', password => '',
      is_active => 0, role => 0, gender => 2 },
    'the users row: erased, inactive');
ok($row->{deleted_at}, '... deleted_at set (a tombstone)');
is_deeply(left($a->{id}), $none,
    '... no image, binding, device or session left');
ok(!-e $t->dir . "/media/$made->{relpath}", '... the image file removed');
is($t->db_value('SELECT count(*) FROM session_rotated r JOIN sessions s'
    . ' ON s.id = r.session_id WHERE s.user_id = ?', $a->{id}), 0,
    '... no rotated token');
is($t->db_value('SELECT count(*) FROM codes WHERE account = ?',
    '86:13700000001'), 0, '... the account\'s codes gone');
$row = $t->db_row('SELECT * FROM feedback WHERE id = ?', $made->{feedback});
ok($row, 'the feedback kept');
is($row->{contact_phone}, '', '... without its contact phone');
is($row->{user_id}, $a->{id}, '... naming the tombstone');
is($t->db_value("SELECT count(*) FROM audit WHERE action = 'account_deleted'"
    . ' AND user_id = ?', $a->{id}), 1, 'the audit log records it');

$j = api($a, 'GET', '/api/personal/info');
is($j->{code}, 10004, 'the old token: 10004');
$j = api({ token => $made->{token2}, app => '' }, 'GET', '/api/personal/info');
is($j->{code}, 10004, 'the other session\'s token: 10004');
($st, $h, $j) = $t->get('/api/user/message',
    { Authorization => $made->{jwt} });
isnt($j->{code}, 0, 'the v1 JWT: refused') or diag(explain $j);
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13700000001', password => 'secret-pw-1' });
is($j->{code}, 10006, 'a login with the old password: not registered');

# the phone registers again, as a new user
my $a2 = FeatAdmin::user($t, '13700000001');
isnt($a2->{id}, $a->{id}, 'the phone registers again: a new user');
$j = api($a2, 'GET', '/api/personal/info');
is($j->{data}{nickname}, '', '... with nothing of the old one');
is($t->db_value('SELECT count(*) FROM feedback WHERE user_id = ?', $a2->{id}),
    0, '... not even its feedback');

# ---- feat, code ----------------------------------------------------------------

my $c = FeatAdmin::user($t, '13700000003');
$made = populate($c);
($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => '13700000009', form_id => 'delete' });
is($st, 404, 'a delete code for an unknown phone: 404');
($st, $h, $j) = $t->post('/api/auth/phone/vcode/',
    { phone => '13700000003', form_id => 'delete' });
is($st, 200, 'a delete code sent');
is($t->db_value('SELECT purpose FROM codes WHERE account = ?'
    . ' ORDER BY id DESC LIMIT 1', '86:13700000003'), 'delete',
    '... of purpose delete');
my $code = $t->code_for('13700000003');
($st, $h, $j) = $t->post('/api/auth/phone/verification/',
    { phone => '13700000003', vcode => $code, form_id => 'delete' });
is($st, 400, 'verification refuses a delete code: 400');

($st, $h, $j) = $t->delete('/api/user/profile/',
    { code => FeatTest::other_code($code) }, { -token => $c->{token} });
is($st, 400, 'feat delete with a wrong code: 400');
ok($j->{errors}{code}, '... errors.code');
is_deeply(left($c->{id}), $all, '... nothing deleted');

($st, $h, $j) = $t->delete('/api/user/profile/', { code => $code },
    { -token => $c->{token} });
is($st, 204, 'feat delete with the code: 204');
is_deeply(left($c->{id}), $none, '... everything erased');
ok($t->db_value('SELECT deleted_at FROM users WHERE id = ?', $c->{id}),
    '... a tombstone');
ok(!-e $t->dir . "/media/$made->{relpath}", '... the file removed');
is($t->db_value('SELECT consumed_at IS NOT NULL FROM codes WHERE account = ?'
    . ' ORDER BY id DESC LIMIT 1', '86:13700000003') // 1, 1,
    '... the code used up');
($st, $h, $j) = $t->delete('/api/user/profile/', { code => $code },
    { -token => $c->{token} });
is($st, 401, 'the token is dead: 401');

# ---- v2, code ------------------------------------------------------------------

my $e = FeatAdmin::user($t, '13700000005');
($st, $h, $j) = $t->post('/api/auth/send_code',
    { account => '13700000005', purpose => 'delete' });
is($j->{code}, 0, 'v2 send_code purpose delete: 0');
$code = $t->code_for('13700000005');
$j = api($e, 'POST', '/api/personal/delete', { code => $code });
is($j->{code}, 0, 'v2 delete with the code: 0');
ok($t->db_value('SELECT deleted_at FROM users WHERE id = ?', $e->{id}),
    '... deleted');

# ---- lockout: wrong passwords count as failed logins ---------------------------

my $b = FeatAdmin::user($t, '13700000002');
for (1 .. 3) {
    $j = api($b, 'POST', '/api/personal/delete', { password => 'wrong-pw-1' });
}
is($j->{code}, 10007, 'three wrong passwords: 10007');
$j = api($b, 'POST', '/api/personal/delete', { password => 'secret-pw-1' });
is($j->{code}, 10100, 'then the right one: locked, 10100');
ok(!$t->db_value('SELECT deleted_at FROM users WHERE id = ?', $b->{id}),
    '... and B is not deleted');
($st, $h, $j) = $t->post('/api/auth/access_token',
    { account => '13700000002', password => 'secret-pw-1' });
is($j->{code}, 10100, '... B\'s logins are locked as well');

# one user cannot delete another: the route deletes the caller, and the
# proof is the caller's
my $d = FeatAdmin::user($t, '13700000004');
$j = api($d, 'POST', '/api/personal/delete', { password => 'secret-pw-2' });
is($j->{code}, 10007, 'D with a password that is not D\'s: 10007');
ok(!$t->db_value('SELECT deleted_at FROM users WHERE id = ?', $b->{id})
    && !$t->db_value('SELECT deleted_at FROM users WHERE id = ?', $d->{id}),
    '... nobody deleted');

# ---- featctl -----------------------------------------------------------------

my $export = do {
    my ($rc, $out, $err) = $t->featctl('user', 'export', $d->{id});
    is($rc, 0, 'featctl user export: exit 0') or diag($err);
    eval { JSON::PP->new->decode($out) };
};
is($export->{user_id}, $d->{id}, '... one JSON document of the user');
is($export->{tables}{users}[0]{phone}, '13700000004', '... its users row');
ok(!exists $export->{tables}{users}[0]{password}, '... without the hash');
is(scalar @{ $export->{tables}{sessions} // [] }, 1, '... its session');
ok(!exists $export->{tables}{sessions}[0]{access_hash},
    '... without token hashes');
ok(scalar @{ $export->{tables}{audit} // [] } >= 1, '... its audit events');

my ($rc, $out, $err) = $t->featctl('--json', 'user', 'delete', $d->{id});
is($rc, 0, 'featctl user delete: exit 0') or diag($err);
is_deeply(JSON::PP->new->decode($out), { id => $d->{id}, deleted => JSON::PP::true },
    '... says so');
ok($t->db_value('SELECT deleted_at FROM users WHERE id = ?', $d->{id}),
    '... deleted');
is($t->db_value("SELECT json_extract(detail, '\$.proof') FROM audit"
    . " WHERE action = 'account_deleted' AND user_id = ?", $d->{id}),
    'operator', '... by the operator');
is($t->db_value("SELECT actor FROM audit WHERE action = 'account_deleted'"
    . ' AND user_id = ?', $d->{id}), scalar getpwuid($<),
    '... whose Unix user the audit log names');
($rc, $out, $err) = $t->featctl('user', 'delete', $d->{id});
is($rc, 1, 'deleting it again: exit 1');
like($err, qr/no user/, '... no user');

$t->stop;
done_testing;

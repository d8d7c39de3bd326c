#!/usr/bin/perl

# 70-bad-input.t: a battery of malformed requests against every route of
# every dialect (featcgi -R), with valid credentials: malformed JSON, a
# JSON array or scalar where an object is expected, every known field
# with a wrong type, a huge or negative number, "1e3", a NUL (raw and as
# \u0000), invalid UTF-8, an over-long value, many fields, deep nesting,
# big form bodies, repeated fields, path parameters that are no ids.
# Every answer must be well formed in the route's dialect (an error
# wherever the route reads the input), never a 5xx, and the database
# must be unchanged (row counts of every table but rate_events, and the
# user row).  Then FastCGI edge cases spoken to the socket directly: a
# 16 KB param, many params, a CONTENT_LENGTH that does not match.

use strict;
use warnings;

use lib 't/lib';
use FeatTest;
use FeatV1 qw(jwt_sign access_json);
use IO::Socket::UNIX;
use Test::More;

my $t = FeatTest->new('code.resend_interval' => 0);
my $JSON = FeatTest::json();

my $session = $t->register_v2('13800138000', 'secret123');
my $token = $session->{access_token};
my $uid = $t->db_value('SELECT id FROM users');
my $jwt = jwt_sign($t, access_json($uid, time + 3600));
my (undef, undef, $login) = $t->post('/api/auth/access_token',
    { account => '13800138000', password => 'secret123' });
my $token2 = $login->{data}{access_token};    # outlives destroy_token
ok(defined $token2, 'a second session');
# the console's manager, signed in (its cookie and CSRF token)
my $admin = $t->admin_login(login => 'ops', all_apps => 1);

my @routes = map { [ split / / ] }
    split(/\n/, `$ENV{FEAT_BUILDDIR}/featcgi -c ${\ $t->conf_file} -R`);
ok(@routes > 50, scalar(@routes) . ' routes');

# destroy_token would end the session the rest uses: it goes last.
@routes = ((grep { $_->[1] !~ /destroy_token/ } @routes),
    (grep { $_->[1] =~ /destroy_token/ } @routes));

# Routes that read no input at all: a body they are not given to read
# may be answered with success (and GET lists read only page fields).
my %NO_INPUT = map { $_ => 1 } (
    'GET /api/personal/info', 'GET /api/user/profile/',
    'GET /api/user/message', 'GET /api/user/notice/summary',
    'DELETE /api/push/log/delete', 'POST /api/auth/destroy_token',
    'GET /api/user/profile/alipay-binding/',
    'DELETE /api/user/profile/alipay-binding/',
    'GET /api/feedback_category', 'DELETE /api/user/feedback/{pk}',
    'DELETE /api/feedback/{id}', 'DELETE /api/user/user-image/{id}/',
    'GET /healthz', 'GET /api/openapi.json', 'GET /admin/api/session',
    'GET /admin/api/apps',
);

my @FIELDS = qw(account area auth_code client_id client_type code
    contact_phone description device_token feedback_category_id
    feedback_content feedback_phone feedback_title form_id gender nickname
    open_id open_type password permit_token phone purpose refresh_token
    sandbox switch title token user_sex vcode verify_code client_secret
    device_id grant_type scope username address avatar birthday user_name
    user_city user_avatar user_birthday content category keywords
    subdistrict page page_no page_size push_ids is_read status);

sub all_fields {
    my ($json_value) = @_;

    return '{' . join(',', map { qq("$_":$json_value) } @FIELDS) . '}';
}

# (name, body, content type, must fail wherever input is read)
my @CASES = (
    [ 'malformed JSON',   '{"account":',          undef, 2 ],
    [ 'garbage after',    '{"account":"1"} x',    undef, 2 ],
    [ 'raw NUL',          qq({"account":"1\0"}),  undef, 2 ],
    [ 'deep arrays',      ('[' x 200) . (']' x 200), undef, 2 ],
    [ 'deep objects',     ('{"a":' x 100) . '1' . ('}' x 100), undef, 2 ],
    [ 'a number',         '42',                   undef, 2 ],
    [ 'a string',         '"account"',            undef, 2 ],
    [ 'null',             'null',                 undef, 2 ],
    [ 'true',             'true',                 undef, 2 ],
    [ 'an array',         '[{"account":"1"}]',    undef, 1 ],
    [ 'numbers for all',  all_fields('12345'),    undef, 1 ],
    [ 'bools for all',    all_fields('true'),     undef, 1 ],
    [ 'objects for all',  all_fields('{}'),       undef, 1 ],
    [ 'arrays for all',   all_fields('["1"]'),    undef, 1 ],
    [ 'huge numbers',     all_fields('1e400'),    undef, 1 ],
    [ 'big integers',     all_fields('99999999999999999999999'), undef, 1 ],
    [ 'negatives',        all_fields('-1'),       undef, 1 ],
    [ '"1e3"',            all_fields('"1e3"'),    undef, 1 ],
    [ 'fractions',        all_fields('1.5'),      undef, 1 ],
    [ '\u0000 in all',    all_fields('"1\u0000x"'), undef, 1 ],
    [ 'bad UTF-8',        all_fields(qq("\xff\xfe")), undef, 1 ],
    [ 'lone surrogate',   all_fields('"\udc00"'), undef, 1 ],
    [ 'over-long',        all_fields('"' . ('x' x 3000) . '"'), undef, 1 ],
    [ 'many fields',      '{' . join(',', map { qq("f$_":$_) } 1 .. 5000)
                          . '}',                  undef, 0 ],
    [ 'form 10k pairs',   join('&', map { "a$_=$_" } 1 .. 10000),
                          'application/x-www-form-urlencoded', 2 ],
    [ 'form repeated',    join('&', ('nickname=%00') x 100),
                          'application/x-www-form-urlencoded', 0 ],
    [ 'form NUL',         join('&', map { "$_=1%00x" } @FIELDS),
                          'application/x-www-form-urlencoded', 1 ],
    [ 'form bad UTF-8',   join('&', map { "$_=%ff%fe" } @FIELDS),
                          'application/x-www-form-urlencoded', 1 ],
);

my @PATH_PARAMS = ('abc', '0', '-1', '1e3', '99999999999999999999999',
    '9007199254740993', 'x' x 300, '1%2F2', '01');

# The tables and the user row, to compare before and after.
sub snapshot {
    my %s;

    # rate_events and audit count attempts (a login failed for an
    # unknown account is one, however odd its fields), not state
    for my $tb (@{ $t->dbh->selectcol_arrayref(q{SELECT name FROM
        sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
        AND name NOT IN ('rate_events', 'audit')}) })
    {
        $s{$tb} = $t->db_value(qq{SELECT count(*) FROM "$tb"});
    }
    my $u = $t->db_row('SELECT * FROM users WHERE id = ?', $uid);
    delete $u->{updated_at};
    $s{'users row'} = $JSON->encode($u);
    return \%s;
}

# '' when the answer is well formed in the dialect, else why not; sets
# $$err when it is an error answer.
sub check_form {
    my ($dialect, $path, $st, $h, $j, $err) = @_;

    $$err = 0;
    # Alipay is not configured here: the binding answers 503 by design.
    if ($st == 503 && $path =~ /alipay-binding/ && ref($j) eq 'HASH'
        && ($j->{code} // '') eq 'delivery_failed')
    {
        $$err = 1;
        return '';
    }
    return "HTTP $st" if $st >= 500;
    if ($dialect eq 'feat' && $st == 204) {
        return '';
    }
    # a payment provider's notify answers in the provider's own form
    if ($path =~ m{^/api/pay/notify/weixin/}) {
        $$err = ($j // '') !~ m{<return_code><!\[CDATA\[SUCCESS\]\]>};
        return ($j // '') =~ m{^<xml><return_code>} ? '' : 'not WeChat XML';
    }
    if ($path =~ m{^/api/pay/notify/alipay/}) {
        $$err = ($j // '') ne 'success';
        return ($j // '') =~ /^(success|failure)$/ ? '' : 'not Alipay\'s word';
    }
    return 'not JSON: ' . substr($j // '', 0, 80) if ref($j) ne 'HASH';
    # the operators' health check answers in its own form, never an error
    if ($path eq '/healthz') {
        return ($j->{status} // '') =~ /^(?:ok|fail)$/ ? '' : 'no status';
    }
    # the OpenAPI document is itself, never enveloped, and reads nothing
    if ($path eq '/api/openapi.json') {
        return ($j->{openapi} // '') eq '3.1.0' ? '' : 'no document';
    }

    if ($dialect eq 'admin') {
        if ($st >= 400) {
            $$err = 1;
            return (ref($j->{error}) eq 'HASH'
                && ($j->{error}{code} // '') =~ /^[a-z_]+$/
                && defined $j->{error}{message}) ? '' : 'no error/code';
        }
        return exists $j->{data} ? '' : 'no data';
    }
    if ($path =~ m{^/o/}) {
        $$err = $st >= 400;
        return '' if $st >= 400 && defined $j->{error};
        return '' if $st == 200;
        return 'no RFC 6749 error';
    }
    if ($dialect eq 'feat') {
        if ($st >= 400) {
            $$err = 1;
            return (defined $j->{detail} && defined $j->{code}
                && $j->{code} =~ /^[a-z_]+$/) ? '' : 'no detail/code';
        }
        return exists $j->{data} ? '' : 'no data';
    }
    if ($path eq '/sds_check_token' && defined $j->{msg}) {
        $$err = ($j->{code} // '') ne '1000';
        return '';
    }
    if ($dialect eq 'v2') {
        return 'no code' if !defined $j->{code} || $j->{code} !~ /^\d+$/;
        $$err = $j->{code} != 0;
        return 'no message' if !defined $j->{message} || ref $j->{message};
        return 'data not {}' if $$err && ref($j->{data}) ne 'HASH';
        return 'HTTP not 200' if $st != 200 && $st != 404 && $st != 405;
        return '';
    }
    # v1: {"code","message"}, the /faq meta form, the bare notice list
    return '' if exists $j->{meta} || exists $j->{total};
    return 'no code' if !defined $j->{code} || $j->{code} !~ /^\d+$/;
    $$err = $j->{code} != 0;
    return 'no message' if !exists $j->{message};
    return 'v1 error with data' if $$err && exists $j->{data};
    return '';
}

sub auth_for {
    my ($dialect, $path) = @_;

    return {} if $path =~ m{^/o/};
    return { Cookie => $admin->{cookie}, 'X-CSRF-Token' => $admin->{csrf} }
        if $dialect eq 'admin';
    return { Authorization => $jwt } if $dialect eq 'v1';
    return { Authorization => "Token $token" };
}

# Hiding the push log writes its mark even when there is nothing to hide.
$t->delete('/api/push/log/delete', undef, { -token => $token2 });
my $before = snapshot();
my (@bad, $n);

for my $rt (@routes) {
    my ($m, $pattern, $dialect) = @$rt;
    my @paths = ($pattern);

    # signing out reads no input and ends the session the rest uses
    # (t/30-admin-auth.t covers it)
    next if "$m $pattern" eq 'DELETE /admin/api/session';

    if ($pattern =~ /\{/) {
        @paths = map { (my $p = $pattern) =~ s/\{[a-z_]+\}/$_/g; $p }
            ('1', @PATH_PARAMS);
    }

    for my $path (@paths) {
        for my $c (@CASES) {
            my ($name, $body, $ct, $must) = @$c;
            my %h = (%{ auth_for($dialect, $path) },
                'Content-Type' => $ct // 'application/json');
            my ($st, $hd, $j) = $t->request($m, $path, $body, \%h);
            my $err;
            my $why = check_form($dialect, $path, $st, $hd, $j, \$err);

            $n++;
            # A GET reads only page fields, which numbers may fill.
            $why ||= 'answered success'
                if !$err && $must && !$NO_INPUT{"$m $pattern"}
                && ($must == 2 || $m ne 'GET' || $name =~ /\\u0000/)
                && !($must == 1 && $pattern eq '/api/message/count'
                    && $name eq 'an array');
            push @bad, "$m $path [$name]: $why -> $st "
                . (ref $j ? $JSON->encode($j) : substr($j // '', 0, 80))
                if $why;
        }

        # A path parameter that is no id: not found, never a 5xx.
        if ($path ne $pattern) {
            my ($st, $hd, $j) = $t->request($m, $path, undef,
                auth_for($dialect, $path));
            my $err;
            my $why = check_form($dialect, $path, $st, $hd, $j, \$err);
            $n++;
            $why ||= 'answered success' if !$err && $path !~ m{/1/?$};
            push @bad, "$m $path [path]: $why -> $st "
                . (ref $j ? $JSON->encode($j) : substr($j // '', 0, 80))
                if $why;
        }
    }
}

ok(!@bad, "$n malformed requests answered well, as errors where read")
    or diag(join("\n", map { substr($_, 0, 300) } @bad));
is_deeply(snapshot(), $before, '... and the database is unchanged');

# ---- specific meanings ----------------------------------------------------

my ($st, $h, $j);

# cJSON ends a string at \u0000: "x\u0000y" would be stored as "x".
($st, $h, $j) = $t->patch('/api/user/profile/', '{"nickname":"x\u0000y"}',
    { Authorization => "Token $token2" });
is($st, 400, 'PATCH nickname with \u0000: 400');
is($t->db_value('SELECT nickname FROM users WHERE id = ?', $uid), '',
    '... nothing stored');
($st, $h, $j) = $t->put('/api/personal/info', '{"nickname":"\\\\u0000"}',
    { Authorization => "Token $token2" });
is($j->{code}, 0, 'an escaped backslash before u0000 is no NUL');
is($t->db_value('SELECT nickname FROM users WHERE id = ?', $uid),
    '\\u0000', '... stored as sent');

# A JSON array where an object is expected is no empty update.
($st, $h, $j) = $t->put('/api/personal/info', '[{"nickname":"y"}]',
    { Authorization => "Token $token2" });
is($j->{code}, 10005, 'PUT personal/info with an array: 10005');

# ---- FastCGI spoken directly ----------------------------------------------

sub fcgi_len {
    my ($n) = @_;

    return $n < 128 ? pack('C', $n) : pack('N', $n | 0x80000000);
}

sub fcgi_request {
    my ($params, $stdin) = @_;
    my $s = IO::Socket::UNIX->new(Peer => $t->dir . '/featcgi.sock',
        Type => SOCK_STREAM) or return undef;
    my $rec = sub {
        my ($type, $data) = @_;
        my $out = '';
        do {
            my $chunk = substr($data, 0, 65535, '');
            $out .= pack('CCnnCx', 1, $type, 1, length($chunk), 0) . $chunk;
        } while (length($data));
        return $out;
    };
    my $p = '';
    for (my $i = 0; $i < @$params; $i += 2) {
        my ($k, $v) = ($params->[$i], $params->[$i + 1]);
        $p .= fcgi_len(length($k)) . fcgi_len(length($v)) . $k . $v;
    }
    print {$s} pack('CCnnCx', 1, 1, 1, 8, 0) . pack('nCx5', 1, 0)
        . $rec->(4, $p) . $rec->(4, '') . $rec->(5, $stdin)
        . $rec->(5, '');
    my ($out, $hdr) = ('');
    while (read($s, $hdr, 8) == 8) {
        my (undef, $type, undef, $len, $pad) = unpack('CCnnC', $hdr);
        my $data = '';
        read($s, $data, $len + $pad) if $len + $pad > 0;
        $out .= substr($data, 0, $len) if $type == 6;
        last if $type == 3;
    }
    close($s);
    return $out;
}

my @base = (REQUEST_METHOD => 'PUT', DOCUMENT_URI => '/api/personal/info',
    QUERY_STRING => '', REMOTE_ADDR => '127.0.0.1',
    CONTENT_TYPE => 'application/json',
    HTTP_AUTHORIZATION => "Token $token2");
my $body = '{"nickname":"fcgi"}';

my $out = fcgi_request([ @base, CONTENT_LENGTH => length($body),
    HTTP_X_BIG => 'x' x 16384 ], $body);
like($out, qr/"code":0/, 'a 16 KB param: answered');
$out = fcgi_request([ @base, CONTENT_LENGTH => length($body),
    map { ("HTTP_X_H$_" => "v$_") } 1 .. 2000 ], $body);
like($out, qr/"code":0/, '2000 params: answered');
$out = fcgi_request([ @base, CONTENT_LENGTH => length($body) + 10 ], $body);
like($out, qr/"code":10005/, 'CONTENT_LENGTH over the body: 10005');
$out = fcgi_request([ @base, CONTENT_LENGTH => 5 ], $body);
like($out, qr/"code":10005/, 'CONTENT_LENGTH under the body: 10005');
$out = fcgi_request([ @base, CONTENT_LENGTH => '12x' ], $body);
like($out, qr/"code":10005/, 'CONTENT_LENGTH not a number: 10005');
$out = fcgi_request([ @base, CONTENT_LENGTH => '99999999999999999999' ],
    $body);
like($out, qr/"code":10005/, 'CONTENT_LENGTH beyond any limit: 10005');
($st, $h, $j) = $t->get('/api/personal/info', { -token => $token2 });
is($j->{data}{nickname}, 'fcgi', 'the workers still answer');

$t->stop;
done_testing;
